"""Thresholds of the monitoring checks: small typed objects with defaults and per-column overrides.

Shares are fractions (0.05 = 5 %) of the window's rows (or of its non-missing values for the
value checks). Missing values, out-of-range values, outliers and unseen categories are graded
on the *excess* over the reference's own share (``glassbox.quality._baseline``): ``warning``
when the excess is above ``warning`` (and above the reference's noise at the window's size),
``critical`` when above ``critical``; ``warning=0`` means "any excess beyond noise".
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Severity = Literal["none", "warning", "critical"]

_RANK: dict[Severity, int] = {"none": 0, "warning": 1, "critical": 2}


def severity_rank(severity: Severity) -> int:
    """0 for none, 1 for warning, 2 for critical."""
    return _RANK[severity]


class ShareThreshold(BaseModel):
    """A warning/critical pair on a share in [0, 1]."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    warning: float = Field(ge=0.0, le=1.0)
    critical: float = Field(ge=0.0, le=1.0)

    @model_validator(mode="after")
    def _ordered(self) -> ShareThreshold:
        if self.critical < self.warning:
            raise ValueError(
                f"critical ({self.critical}) must be at least warning ({self.warning})"
            )
        return self

    def grade(self, share: float, noise: float = 0.0) -> tuple[Severity, float]:
        """The severity of ``share`` (or of an excess over the reference's own share) and the
        limit it was compared with: each threshold, or ``noise`` when that is higher (a share
        a same-distribution window can reach by chance)."""
        critical, warning = max(self.critical, noise), max(self.warning, noise)
        if share > critical:
            return "critical", critical
        if share > warning:
            return "warning", warning
        return "none", warning


class OutlierThresholds(ShareThreshold):
    """Outliers: a value with ``|z| > z`` (reference mean/std) or beyond the outer Tukey fences
    (``q1 - iqr_extreme*IQR``, ``q3 + iqr_extreme*IQR``) counts; the share of such values is
    graded. The share beyond the inner fences (``iqr_mild``) is reported alongside: skewed
    features routinely have several percent there, so it does not set the severity."""

    warning: float = Field(0.01, ge=0.0, le=1.0)
    critical: float = Field(0.05, ge=0.0, le=1.0)
    z: float = Field(4.0, gt=0.0)
    iqr_mild: float = Field(1.5, gt=0.0)
    iqr_extreme: float = Field(3.0, gt=0.0)

    @model_validator(mode="after")
    def _fences_ordered(self) -> OutlierThresholds:
        if self.iqr_extreme < self.iqr_mild:
            raise ValueError(
                f"iqr_extreme ({self.iqr_extreme}) must be at least iqr_mild ({self.iqr_mild})"
            )
        return self


def _share(warning: float, critical: float) -> ShareThreshold:
    return ShareThreshold(warning=warning, critical=critical)


class ColumnThresholds(BaseModel):
    """The thresholds of the per-column checks."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    missing_values: ShareThreshold = Field(default_factory=lambda: _share(0.05, 0.20))
    out_of_range: ShareThreshold = Field(default_factory=lambda: _share(0.01, 0.05))
    unseen_categories: ShareThreshold = Field(default_factory=lambda: _share(0.0, 0.05))
    outliers: OutlierThresholds = Field(default_factory=OutlierThresholds)


class ColumnOverride(BaseModel):
    """Per-column replacements; a field left out keeps the default."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    missing_values: ShareThreshold | None = None
    out_of_range: ShareThreshold | None = None
    unseen_categories: ShareThreshold | None = None
    outliers: OutlierThresholds | None = None


class QualityThresholds(ColumnThresholds):
    """All thresholds: the per-column defaults, duplicate ids, and overrides by column name.

    >>> QualityThresholds.model_validate(
    ...     {"columns": {"driver_tenure": {"missing_values": {"warning": 0.2, "critical": 0.5}}}}
    ... ).for_column("driver_tenure").missing_values.warning
    0.2
    """

    duplicate_ids: ShareThreshold = Field(default_factory=lambda: _share(0.0, 0.01))
    columns: dict[str, ColumnOverride] = Field(default_factory=dict)

    def for_column(self, column: str) -> ColumnThresholds:
        """The thresholds that apply to ``column`` (defaults with its overrides applied)."""
        base = {name: getattr(self, name) for name in ColumnThresholds.model_fields}
        override = self.columns.get(column)
        if override is not None:
            base.update(
                {
                    name: getattr(override, name)
                    for name in override.model_fields_set
                    if getattr(override, name) is not None
                }
            )
        return ColumnThresholds(**base)
