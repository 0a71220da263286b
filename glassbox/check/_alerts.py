"""The alerts the monitoring cron would raise for these findings (listed, never sent).

Same checks and severities as the cron: ``data_drift`` per drifted feature, ``prediction_drift``
per drifted model output, ``data_quality.<check>`` per quality problem, ``estimated_performance``
(critical when the realized metric also fell), ``performance`` and ``concept_drift``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from glassbox.alerts import Alert

if TYPE_CHECKING:
    from glassbox.check._performance import Performance
    from glassbox.drift import FeatureDrift
    from glassbox.quality import QualityFinding

_DETAIL_KEYS = ("psi", "js_distance", "ks_statistic", "chi2_statistic", "wasserstein_normalized",
                "p_value_adjusted", "missing_current", "unseen_current")  # fmt: skip


def _drift_details(feature: FeatureDrift) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in _DETAIL_KEYS:
        value = getattr(feature, key)
        if isinstance(value, float) and not math.isfinite(value):
            continue
        out[key] = value
    return out


def drift_alerts(model: str, features: Iterable[FeatureDrift]) -> list[Alert]:
    return [
        Alert(
            model=model,
            check="data_drift" if f.kind == "feature" else "prediction_drift",
            feature=f.name,
            severity=f.severity,
            summary=f"{f.name}: " + "; ".join(f.reasons or (f.status,)),
            details=_drift_details(f),
        )
        for f in features
        if f.severity != "none"
    ]


def quality_alerts(model: str, findings: Iterable[QualityFinding]) -> list[Alert]:
    return [
        Alert(
            model=model,
            check=f.check,
            feature=f.column,
            severity=f.severity,
            summary=f.message,
            details={"observed": f.observed, "threshold": f.threshold},
        )
        for f in findings
        if f.is_problem
    ]


def performance_alerts(model: str, perf: Performance) -> list[Alert]:
    summary = perf.summary
    metric = summary["metric"]
    estimated, realized = summary["estimated_drop_chunks"], summary["realized_drop_chunks"]
    alerts = []
    if estimated:
        alerts.append(
            Alert(
                model=model,
                check="estimated_performance",
                severity="critical" if realized else "warning",
                summary=f"CBPE estimated {metric} below its threshold in chunks {estimated}",
                details={"chunks": len(estimated)},
            )
        )
    if realized:
        alerts.append(
            Alert(
                model=model,
                check="performance",
                severity="critical",
                summary=f"realized {metric} below its threshold in chunks {realized}",
                details={"chunks": len(realized)},
            )
        )
    if perf.concept_drift:
        alerts.append(
            Alert(
                model=model,
                check="concept_drift",
                severity="critical",
                summary=perf.verdict.reason[:4000],
            )
        )
    return alerts


def as_json(alert: Alert) -> dict[str, Any]:
    """An alert as listed in ``monitor.json``."""
    return {
        "check": alert.check,
        "feature": alert.feature,
        "severity": alert.severity.value,
        "summary": alert.summary,
        "details": alert.details,
        "dedup_key": alert.dedup_key,
        "runbook": alert.runbook_url(),
    }
