"""Turn raw per-column statistics into severities: BH-adjusted evidence plus effect-size rules."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence

import numpy as np

from glassbox.drift._history import DriftHistory
from glassbox.drift._result import FeatureDrift
from glassbox.drift._stats import benjamini_hochberg
from glassbox.drift._thresholds import SEVERITY_RANK, DriftThresholds, Severity, grade


def assess(
    features: Sequence[FeatureDrift],
    thresholds: DriftThresholds,
    history: DriftHistory | None = None,
) -> tuple[FeatureDrift, ...]:
    """Adjust p-values across the window (Benjamini-Hochberg) and grade every column."""
    adjusted = benjamini_hochberg(np.array([f.p_value for f in features], dtype=np.float64))
    history = history or DriftHistory()
    out = []
    for feature, p_adjusted in zip(features, adjusted, strict=True):
        significant = bool(math.isfinite(p_adjusted) and p_adjusted < thresholds.alpha)
        severity, reasons = _grade(feature, thresholds, history, float(p_adjusted))
        out.append(
            dataclasses.replace(
                feature,
                p_value_adjusted=float(p_adjusted),
                significant=significant,
                severity=severity,
                reasons=reasons,
            )
        )
    return tuple(out)


def _grade(
    feature: FeatureDrift,
    thresholds: DriftThresholds,
    history: DriftHistory,
    p_adjusted: float,
) -> tuple[Severity, tuple[str, ...]]:
    if feature.status == "no_data":
        return "critical", ("no non-missing values in the current window",)
    worst: Severity = "none"
    reasons: list[str] = []
    for rule in thresholds.rules_for(feature.name):
        value = feature.statistic(rule.metric)
        warning, critical, source = rule.limits(history.values(feature.name, rule.metric))
        level = grade(value, warning, critical)
        if level == "none":
            continue
        limit = critical if level == "critical" else warning
        reasons.append(f"{rule.metric} {value:.4g} >= {level} {limit:.4g} ({source})")
        if SEVERITY_RANK[level] > SEVERITY_RANK[worst]:
            worst = level
    significant = math.isfinite(p_adjusted) and p_adjusted < thresholds.alpha
    if worst != "none" and thresholds.require_significance and not significant:
        note = f"not significant: adjusted p-value {p_adjusted:.3g} >= alpha {thresholds.alpha}"
        return "none", (*reasons, note)
    return worst, tuple(reasons)
