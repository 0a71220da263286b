"""Severity thresholds: small typed objects parsed from configuration (NannyML ``thresholds.py``).

Severity comes from *effect sizes* only. A rule names one statistic and two limits; the feature's
severity is the highest any of its rules reaches (``value >= critical`` → critical, ``value >=
warning`` → warning; a NaN statistic never fires). p-values are evidence, not severity: with
``require_significance`` (default) a flag stands only if the feature's Benjamini-Hochberg
adjusted p-value is below ``alpha`` — so a noisy effect on a tiny window is not an alert, and a
significant but negligible shift on a huge window is not one either (its effect size is small).

Three kinds of rule: ``calibrated`` (the default: limits from the reference's own noise at the
window's size, see ``glassbox.drift._calibration``), ``static`` (fixed limits) and ``dynamic``
(from past windows' values). Configuration example (YAML)::

    drift_thresholds:
      alpha: 0.05
      default:
        - {type: calibrated, metric: psi, warning_floor: 0.01, critical_floor: 0.2}
      features:
        car_value:
          - {type: static, metric: psi, warning: 0.1, critical: 0.2}
          - {type: dynamic, metric: js_distance, k_warning: 2, k_critical: 3, min_history: 7,
             fallback: {metric: js_distance, warning: 0.1, critical: 0.2}}
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from glassbox.drift._errors import DriftConfigError

Metric = Literal["psi", "js_distance", "kl_divergence", "ks_statistic", "wasserstein_normalized"]
"""Effect-size statistics a threshold rule may use."""

Severity = Literal["none", "warning", "critical"]
SEVERITY_RANK: dict[str, int] = {"none": 0, "warning": 1, "critical": 2}


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StaticThreshold(_Frozen):
    """Fixed limits on one statistic (default: PSI 0.1 warning, 0.2 critical)."""

    type: Literal["static"] = "static"
    metric: Metric = "psi"
    warning: float = Field(0.1, ge=0)
    critical: float = Field(0.2, ge=0)

    @model_validator(mode="after")
    def _ordered(self) -> StaticThreshold:
        if self.warning > self.critical:
            raise ValueError(f"warning ({self.warning}) must not exceed critical ({self.critical})")
        return self

    def limits(self, history: Sequence[float] = ()) -> tuple[float, float, str]:
        """(warning, critical, source): always the configured values."""
        return self.warning, self.critical, "static"


class DynamicThreshold(_Frozen):
    """Limits from past windows of the same feature: mean + k * std of the statistic's history.

    With fewer than ``min_history`` finite past values the ``fallback`` static limits apply.
    The standard deviation is the sample one (ddof=1).
    """

    type: Literal["dynamic"] = "dynamic"
    metric: Metric = "psi"
    k_warning: float = Field(2.0, gt=0)
    k_critical: float = Field(3.0, gt=0)
    min_history: int = Field(5, ge=2)
    fallback: StaticThreshold = StaticThreshold()

    @model_validator(mode="after")
    def _consistent(self) -> DynamicThreshold:
        if self.k_warning > self.k_critical:
            raise ValueError(
                f"k_warning ({self.k_warning}) must not exceed k_critical ({self.k_critical})"
            )
        if self.fallback.metric != self.metric:
            raise ValueError(
                f"fallback metric {self.fallback.metric!r} must equal metric {self.metric!r}"
            )
        return self

    def limits(self, history: Sequence[float] = ()) -> tuple[float, float, str]:
        values = np.asarray(history, dtype=np.float64)
        values = values[np.isfinite(values)]
        if values.size < self.min_history:
            return self.fallback.limits()
        mean, std = float(values.mean()), float(values.std(ddof=1))
        return mean + self.k_warning * std, mean + self.k_critical * std, "dynamic"


class CalibratedThreshold(_Frozen):
    """Limits calibrated on the reference: the statistic's quantile on windows of the same size
    drawn from the reference itself (``glassbox.drift._calibration``), at the profile's
    false-alarm rate split over everything the check tests on a window.

    ``warning``: the calibrated limit or ``warning_floor``, whichever is higher (a change
    beyond the reference's own noise, and not a negligible one: PSI 0.01 is a 0.1-sd shift of
    a normal feature); ``critical``: the calibrated limit or ``critical_floor`` (PSI 0.2, the
    usual "significant shift"), whichever is higher."""

    type: Literal["calibrated"] = "calibrated"
    metric: Literal["psi", "js_distance", "kl_divergence", "ks_statistic"] = "psi"
    warning_floor: float = Field(0.01, ge=0)
    critical_floor: float = Field(0.2, ge=0)

    @model_validator(mode="after")
    def _ordered(self) -> CalibratedThreshold:
        if self.warning_floor > self.critical_floor:
            raise ValueError(
                f"warning_floor ({self.warning_floor}) must not exceed "
                f"critical_floor ({self.critical_floor})"
            )
        return self

    def limits(self, calibrated: float) -> tuple[float, float, str]:
        """(warning, critical, source) given the calibrated limit for this window."""
        if math.isnan(calibrated):
            return math.inf, math.inf, "calibrated"
        return (
            max(calibrated, self.warning_floor),
            max(calibrated, self.critical_floor),
            "calibrated",
        )


ThresholdRule = Annotated[
    StaticThreshold | DynamicThreshold | CalibratedThreshold, Field(discriminator="type")
]


class DriftThresholds(_Frozen):
    """Rules per feature (``features``) with ``default`` for the others, plus the test level."""

    default: tuple[ThresholdRule, ...] = (CalibratedThreshold(),)
    features: dict[str, tuple[ThresholdRule, ...]] = Field(default_factory=dict)
    alpha: float = Field(0.05, gt=0, lt=1)
    require_significance: bool = True

    def rules_for(
        self, name: str
    ) -> tuple[StaticThreshold | DynamicThreshold | CalibratedThreshold, ...]:
        return self.features.get(name, self.default)

    @classmethod
    def parse(cls, value: DriftThresholds | Mapping[str, Any] | None) -> DriftThresholds:
        """Validate a config mapping; errors become one-line ``DriftConfigError``s."""
        if value is None:
            return cls()
        if isinstance(value, DriftThresholds):
            return value
        if not isinstance(value, Mapping):
            raise DriftConfigError(
                f"thresholds must be a mapping or DriftThresholds, got {type(value).__name__}"
            )
        try:
            return cls.model_validate(dict(value))
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(part) for part in first["loc"]) or "thresholds"
            raise DriftConfigError(f"thresholds.{where}: {first['msg']}") from None


def grade(value: float, warning: float, critical: float) -> Severity:
    if math.isnan(value):
        return "none"
    if value >= critical:
        return "critical"
    if value >= warning:
        return "warning"
    return "none"
