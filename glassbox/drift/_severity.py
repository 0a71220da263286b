"""Turn raw per-column statistics into severities: BH-adjusted evidence plus effect-size rules."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from glassbox.drift._errors import DriftConfigError
from glassbox.drift._history import DriftHistory
from glassbox.drift._result import FeatureDrift
from glassbox.drift._stats import benjamini_hochberg
from glassbox.drift._thresholds import (
    SEVERITY_RANK,
    CalibratedThreshold,
    DriftThresholds,
    Severity,
    grade,
)

if TYPE_CHECKING:
    from glassbox.drift._profile import ReferenceProfile


@dataclasses.dataclass(frozen=True)
class _Context:
    thresholds: DriftThresholds
    history: DriftHistory
    profile: ReferenceProfile | None
    # Per-test level of the calibrated rules, per column kind (feature, prediction, target).
    levels: dict[str, float]


def _levels(
    features: Sequence[FeatureDrift],
    thresholds: DriftThresholds,
    profile: ReferenceProfile | None,
    looks: int,
) -> dict[str, float]:
    """The false-alarm rate of each check (one per column kind) split over its calibrated
    tests on this window: columns x calibrated rules x looks."""
    if profile is None:
        return {}
    tests: dict[str, int] = {}
    for f in features:
        calibrated = sum(isinstance(r, CalibratedThreshold) for r in thresholds.rules_for(f.name))
        tests[f.kind] = tests.get(f.kind, 0) + calibrated
    return {kind: profile.calibration.per_test(n * looks) for kind, n in tests.items()}


def assess(
    features: Sequence[FeatureDrift],
    thresholds: DriftThresholds,
    history: DriftHistory | None = None,
    *,
    profile: ReferenceProfile | None = None,
    looks: int = 1,
) -> tuple[FeatureDrift, ...]:
    """Adjust p-values across the window (Benjamini-Hochberg) and grade every column.

    Calibrated rules need the reference ``profile``; ``looks`` is how many times the check
    judges this window's columns (the whole window plus each graded partition)."""
    adjusted = benjamini_hochberg(np.array([f.p_value for f in features], dtype=np.float64))
    context = _Context(
        thresholds,
        history or DriftHistory(),
        profile,
        _levels(features, thresholds, profile, looks),
    )
    out = []
    for feature, p_adjusted in zip(features, adjusted, strict=True):
        significant = bool(math.isfinite(p_adjusted) and p_adjusted < thresholds.alpha)
        severity, reasons = _grade(feature, context, float(p_adjusted))
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


def _limits(
    feature: FeatureDrift,
    rule: Any,
    context: _Context,
) -> tuple[float, float, str]:
    if not isinstance(rule, CalibratedThreshold):
        limits: tuple[float, float, str] = rule.limits(
            context.history.values(feature.name, rule.metric)
        )
        return limits
    if context.profile is None:
        raise DriftConfigError(
            f"column {feature.name!r}: a calibrated threshold needs the reference profile"
        )
    calibrated = context.profile.calibrated_limit(
        feature.name, rule.metric, feature.n_current, context.levels[feature.kind]
    )
    return rule.limits(calibrated)


def _grade(
    feature: FeatureDrift, context: _Context, p_adjusted: float
) -> tuple[Severity, tuple[str, ...]]:
    thresholds = context.thresholds
    if feature.status == "no_data":
        return "critical", ("no non-missing values in the current window",)
    worst: Severity = "none"
    reasons: list[str] = []
    for rule in thresholds.rules_for(feature.name):
        value = feature.statistic(rule.metric)
        warning, critical, source = _limits(feature, rule, context)
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
