"""A monitoring check's result: ``QualityFinding`` and how findings are built and summarised."""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import BaseModel, ConfigDict, Field

from glassbox.quality._thresholds import Severity, ShareThreshold, severity_rank

Detail = bool | int | float | str | None

SCHEMA = "data_quality.schema"
MISSING_VALUES = "data_quality.missing_values"
OUT_OF_RANGE = "data_quality.out_of_range"
UNSEEN_CATEGORIES = "data_quality.unseen_categories"
OUTLIERS = "data_quality.outliers"
DUPLICATE_IDS = "data_quality.duplicate_ids"
EMPTY_WINDOW = "data_quality.empty_window"
ALL_NAN_COLUMN = "data_quality.all_nan_column"
CHECKS = (
    SCHEMA,
    MISSING_VALUES,
    OUT_OF_RANGE,
    UNSEEN_CATEGORIES,
    OUTLIERS,
    DUPLICATE_IDS,
    EMPTY_WINDOW,
    ALL_NAN_COLUMN,
)


class QualityFinding(BaseModel):
    """The result of one check on one column (or on the whole window when ``column`` is None).

    ``check`` is the alert check name (``data_quality.<sub_check>``, with a runbook section).
    ``severity`` ``none`` means the check ran and passed, so a monitor can resolve an alert it
    raised for an earlier window. ``observed`` is the measured value (a share in [0, 1] for
    the share checks, the row count for ``empty_window``), ``threshold`` the bound it was
    compared with (the critical one when critical, else the warning one).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    check: str = Field(pattern=r"^data_quality\.[a-z0-9_]+$")
    column: str | None
    severity: Severity
    observed: float | None
    threshold: float | None
    message: str = Field(min_length=1)
    details: dict[str, Detail] = Field(default_factory=dict)

    @property
    def sub_check(self) -> str:
        """``missing_values`` for ``data_quality.missing_values``."""
        return self.check.removeprefix("data_quality.")

    @property
    def is_problem(self) -> bool:
        return self.severity != "none"


def worst_severity(findings: Iterable[QualityFinding]) -> Severity:
    """The highest severity among ``findings`` (``none`` when there are none)."""
    worst: Severity = "none"
    for finding in findings:
        if severity_rank(finding.severity) > severity_rank(worst):
            worst = finding.severity
    return worst


def pct(share: float) -> str:
    """A share as a percentage with three significant digits: 0.3 -> '30%', 4e-05 -> '0.004%'."""
    return f"{share * 100:.3g}%"


def graded(
    check: str,
    column: str | None,
    *,
    share: float,
    limits: ShareThreshold,
    what: str,
    details: dict[str, Detail],
    reference_share: float = 0.0,
    noise: float = 0.0,
) -> QualityFinding:
    """A finding for a share check, graded on the excess over ``reference_share`` (the
    reference's own share) against the limits or ``noise``, whichever is higher:
    ``column 'x': 30% missing values (reference 2%; critical above 22%)``."""
    severity, limit = limits.grade(share - reference_share, noise)
    threshold = reference_share + limit
    verdict = (
        f"{severity} above {pct(threshold)}"
        if severity != "none"
        else (f"ok; warning above {pct(threshold)}")
    )
    if reference_share > 0:
        verdict = f"reference {pct(reference_share)}; {verdict}"
    where = f"column {column!r}: " if column is not None else "window: "
    return QualityFinding(
        check=check,
        column=column,
        severity=severity,
        observed=share,
        threshold=threshold,
        message=f"{where}{pct(share)} {what} ({verdict})",
        details=details | {"reference_share": reference_share, "noise_limit": noise},
    )
