"""Score distribution shift of the challenger against the champion, with glassbox.drift.

Raw scores (shadow log): ``DriftCalculator`` with the champion's scores as the reference and the
challenger's as the current window (PSI, Jensen-Shannon, KL, KS with its p-value, severity by
the configured thresholds). Histograms (Prometheus): the same PSI / JS / KL functions on the
bucket counts and the chi-squared test of homogeneity for the evidence; KS and Wasserstein need
raw values, so rules on them never fire there. In the shadow log the two samples are paired
(the same requests): positively correlated scores make the KS test conservative.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt

from glassbox.delivery._evidence import Histogram

COLUMN = "score"


def shift_from_scores(
    champion: npt.NDArray[np.float64], challenger: npt.NDArray[np.float64], thresholds: Any
) -> tuple[str, dict[str, Any]]:
    import pandas as pd

    from glassbox.drift import DriftCalculator

    calculator = DriftCalculator((), prediction_columns=(COLUMN,), thresholds=thresholds, threads=1)
    calculator.fit(pd.DataFrame({COLUMN: champion}))
    found = calculator.calculate(pd.DataFrame({COLUMN: challenger}))[COLUMN]
    summary = (
        f"PSI {found.psi:.4f}, JS {found.js_distance:.4f}, KS {found.ks_statistic:.4f} "
        f"(p={found.ks_pvalue:.3g}); mean score {found.reference_mean:.4f} -> "
        f"{found.current_mean:.4f}"
    )
    if found.reasons:
        summary += "; " + "; ".join(found.reasons)
    return found.severity, {
        "summary": summary,
        "psi": found.psi,
        "p_value": found.ks_pvalue,
        "champion_mean": found.reference_mean,
        "challenger_mean": found.current_mean,
        "test": "glassbox.drift: PSI/JS/KS of the challenger's scores against the champion's",
    }


def _histogram_limits(rule: Any, hist: Histogram, level: float) -> tuple[float, float]:
    """(warning, critical) of one rule on bucket counts: a calibrated rule's limit is the
    statistic's quantile between samples of both sizes drawn from the champion's buckets."""
    from glassbox.drift import CalibratedThreshold, Calibration, shares_limit

    if isinstance(rule, CalibratedThreshold):
        if rule.metric == "ks_statistic":
            return math.inf, math.inf  # needs raw values
        counts = np.asarray(hist.champion, dtype=np.float64)
        n, m = int(counts.sum()), int(np.asarray(hist.challenger).sum())
        if n == 0 or m == 0:
            return math.inf, math.inf
        calibrated = shares_limit(
            counts / n, n, m, metric=rule.metric, level=level, calibration=Calibration(), key=COLUMN
        )
        warning, critical, _ = rule.limits(calibrated)
    else:
        warning, critical, _ = rule.limits(())
    return warning, critical


def shift_from_histograms(hist: Histogram, thresholds: Any) -> tuple[str, dict[str, Any]]:
    from glassbox.drift import DriftThresholds, chi2_homogeneity, js_distance, kl_divergence, psi

    rules = DriftThresholds.parse(thresholds)
    values = {
        "psi": psi(hist.champion, hist.challenger),
        "js_distance": js_distance(hist.champion, hist.challenger),
        "kl_divergence": kl_divergence(hist.champion, hist.challenger),
    }
    _, p_value, _ = chi2_homogeneity(hist.champion, hist.challenger)
    severity, reasons = "none", []
    rate = rules.alpha / max(len(rules.rules_for(COLUMN)), 1)
    for rule in rules.rules_for(COLUMN):
        value = values.get(rule.metric, math.nan)
        warning, critical = _histogram_limits(rule, hist, rate)
        level = "critical" if value >= critical else "warning" if value >= warning else "none"
        if level != "none":
            limit = critical if level == "critical" else warning
            reasons.append(f"{rule.metric} {value:.4g} >= {level} {limit:.4g}")
            severity = level if level == "critical" or severity == "none" else severity
    if severity != "none" and rules.require_significance and not p_value < rules.alpha:
        reasons.append(f"not significant: chi-squared p-value {p_value:.3g} >= {rules.alpha}")
        severity = "none"
    summary = (
        f"PSI {values['psi']:.4f}, JS {values['js_distance']:.4f} over {hist.bounds.size + 1} "
        f"buckets (chi-squared p={p_value:.3g})"
    )
    return severity, {
        "summary": summary + ("; " + "; ".join(reasons) if reasons else ""),
        "psi": values["psi"],
        "p_value": p_value,
        "test": "glassbox.drift: PSI/JS on the score histograms, chi-squared homogeneity",
    }
