"""Typed findings: what every monitoring check reports, and the one place they become alerts.

A ``Finding`` is one check on one column (or the whole window): its severity (``none`` = the
check ran and passed, which resolves an alert still open), a one-line summary, and the numbers
behind it. ``Findings`` is the versioned document a cron step writes and the alert step reads
(``findings/<source>.json``), and what ``glassbox monitor`` lists; ``to_alerts`` turns findings
into :class:`~glassbox.alerts.Alert` objects for both, so the cron and the ad-hoc check word
and grade alerts the same way.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    from glassbox.alerts import Alert
    from glassbox.drift import DriftResult
    from glassbox.drift import FeatureDrift as ColumnDrift
    from glassbox.quality import QualityFinding

Severity = Literal["none", "warning", "critical"]
Detail = bool | int | float | str | None
SEVERITY_RANK: dict[str, int] = {"none": 0, "warning": 1, "critical": 2}
_DRIFT_DETAILS = ("psi", "js_distance", "ks_statistic", "chi2_statistic", "wasserstein_normalized",
                  "p_value_adjusted", "missing_current", "unseen_current")  # fmt: skip


class Finding(BaseModel):
    """One check's result on one column (``feature``) or on the whole window (None)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    check: str = Field(min_length=1)
    feature: str | None = None
    severity: Severity
    summary: str = Field(min_length=1)
    metric: str | None = None  # the statistic graded (psi, missing share, roc_auc...)
    value: float | None = None
    threshold: float | None = None
    details: dict[str, Detail] = Field(default_factory=dict)
    report_url: str | None = None

    @property
    def is_problem(self) -> bool:
        return self.severity != "none"


class Findings(BaseModel):
    """The findings of one check step (``source``), as written to ``findings/<source>.json``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: Literal[1] = 1
    source: str
    findings: tuple[Finding, ...] = ()

    @property
    def problems(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.is_problem)

    @property
    def severity(self) -> Severity:
        return worst(f.severity for f in self.findings)


def worst(severities: Iterable[str]) -> Severity:
    found: Severity = "none"
    for severity in severities:
        if SEVERITY_RANK[severity] > SEVERITY_RANK[found]:
            found = severity  # type: ignore[assignment]
    return found


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def quality_to_findings(found: Iterable[QualityFinding]) -> list[Finding]:
    """Quality check results (passing ones included) as findings."""
    return [
        Finding(
            check=f.check,
            feature=f.column,
            severity=f.severity,
            summary=f.message[:4000],
            metric=f.sub_check,
            value=_finite(f.observed),
            threshold=_finite(f.threshold),
            details={"observed": _finite(f.observed), "threshold": _finite(f.threshold)},
        )
        for f in found
    ]


def drift_check_name(column: ColumnDrift) -> str:
    return {"prediction": "prediction_drift", "target": "target_drift"}.get(
        column.kind, "data_drift"
    )


def drift_to_findings(
    result: DriftResult | Sequence[ColumnDrift],
    severities: dict[str, Severity] | None = None,
    *,
    report_url: str | None = None,
    skip_no_data: bool = False,
) -> list[Finding]:
    """One finding per column; ``severities`` (the window's worst over its looks) override the
    whole window's own. ``skip_no_data``: columns without a current value are left to the
    quality check's ``all_nan_column`` finding."""
    out = []
    for f in result:
        if skip_no_data and f.status == "no_data":
            continue
        severity = (severities or {}).get(f.name, f.severity)
        reasons = "; ".join(f.reasons) if f.reasons else f"psi {f.psi:.4g}"
        out.append(
            Finding(
                check=drift_check_name(f),
                feature=f.name,
                severity=severity,
                summary=f"{f.name}: {reasons} ({f.n_current} rows vs {f.n_reference} reference)",
                metric="psi",
                value=_finite(f.psi),
                details={k: _finite(float(getattr(f, k))) for k in _DRIFT_DETAILS},
                report_url=report_url,
            )
        )
    return out


def to_alerts(
    findings: Iterable[Finding],
    model: str,
    *,
    run_url: str | None = None,
    problems_only: bool = False,
) -> list[Alert]:
    """The alerts for these findings (the router sends warning/critical ones and resolves open
    alerts with a ``none`` finding; ``problems_only`` drops the passing ones)."""
    from glassbox.alerts import Alert

    return [
        Alert(
            model=model,
            check=f.check,
            feature=f.feature,
            severity=f.severity,
            summary=f.summary[:4000],
            details={k: v for k, v in list(f.details.items())[:20]},
            mlflow_run_url=run_url,
            report_url=f.report_url,
        )
        for f in findings
        if f.is_problem or not problems_only
    ]
