"""Explanation drift: did the model's reliance on its features move?

The reference attributions are the SHAP values the training pipeline's explain step logged
(``shap/shap_values.parquet``: a sample of the held-out rows); the window's are computed the
same way (``shap.TreeExplainer`` on the fitted trees) on a sample of the window. Two signals,
as SageMaker Clarify and Azure ML compare them, calibrated like every other check:

* the global ranking: nDCG of the window's mean-|SHAP| ranking, with the reference's mean |SHAP|
  as relevance. It is a change when it is below ``ndcg_floor`` (0.9, Clarify's default) *and*
  below what two same-distribution samples of these sizes give (bootstrap of the reference
  attributions, lower quantile at the check's false-alarm rate);
* each feature's attribution distribution: the two-sample KS statistic between the reference's
  and the window's SHAP values of the feature, against its null distribution at the rate
  split over the features (and at least 0.05).

Reliance can move while every feature's own distribution stays put: when the *joint*
distribution changes (which rows carry which values), a model with interactions attributes
differently, and univariate drift sees nothing.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from glassbox.monitoring._findings import Finding

if TYPE_CHECKING:
    import pandas as pd

    from glassbox.drift import Calibration
    from glassbox.monitoring._config import ExplanationSettings

PREFIX = "shap_"
KS_FLOOR = 0.05


def attributions(model: Any, frame: pd.DataFrame, features: Sequence[str]) -> pd.DataFrame:
    """SHAP values (log-odds) of ``model`` (an encode → tree-ensemble pipeline, as Glassbox
    trains it) on ``frame``: one ``shap_<feature>`` column per encoded feature."""
    import pandas as pd
    import shap

    encode, trees = model[:-1], model[-1]
    encoded = encode.transform(frame.loc[:, list(features)])
    names = list(encode.get_feature_names_out())
    values = shap.TreeExplainer(trees)(
        pd.DataFrame(np.asarray(encoded, dtype="float64"), columns=names)
    ).values
    return pd.DataFrame(np.asarray(values, dtype="float64"), columns=[PREFIX + n for n in names])


def ndcg(relevance: np.ndarray, ranking_scores: np.ndarray) -> float:
    """nDCG of the order given by ``ranking_scores``, graded by ``relevance`` (both per
    feature); 1.0 when the order is the relevance order."""
    order = np.argsort(-ranking_scores, kind="stable")
    ideal = np.sort(relevance)[::-1]
    discounts = 1.0 / np.log2(np.arange(2, relevance.size + 2))
    best = float((ideal * discounts).sum())
    return float((relevance[order] * discounts).sum() / best) if best > 0 else 1.0


@dataclass(frozen=True)
class ExplanationCheck:
    ndcg: float
    ndcg_limit: float
    reference_importance: dict[str, float]
    window_importance: dict[str, float]
    ks: dict[str, float]
    ks_limit: dict[str, float]
    findings: list[Finding]

    def metrics(self, prefix: str = "explanation") -> dict[str, float]:
        out = {f"{prefix}.ndcg": self.ndcg}
        for name, value in self.window_importance.items():
            out[f"{prefix}.{name}.mean_abs_shap"] = value
            out[f"{prefix}.{name}.ks_statistic"] = self.ks[name]
        return out


def _bootstrap_ndcg(
    reference: np.ndarray, window_rows: int, level: float, calibration: Calibration
) -> float:
    """A lower bound on what two same-distribution samples (reference-sized and window-sized)
    give, at ``level``."""
    rng = np.random.default_rng(calibration.seed)
    n = reference.shape[0]
    draws = max(calibration.bootstrap, math.ceil(20 / level))
    values = np.empty(draws)
    for i in range(draws):
        a = np.abs(reference[rng.integers(0, n, n)]).mean(axis=0)
        b = np.abs(reference[rng.integers(0, n, window_rows)]).mean(axis=0)
        values[i] = ndcg(a, b)
    k = max(1, math.floor(level * draws - 2 * math.sqrt(level * draws)))
    return float(np.partition(values, k - 1)[k - 1])


def check_explanation(
    reference: pd.DataFrame,
    window: pd.DataFrame,
    settings: ExplanationSettings,
    calibration: Calibration,
) -> ExplanationCheck:
    """Compare the window's attributions with the reference's (``shap_<feature>`` columns)."""
    from glassbox.drift import ks_limit

    names = [c for c in reference.columns if c.startswith(PREFIX) and c in window.columns]
    ref = reference.loc[:, names].to_numpy(dtype="float64")
    cur = window.loc[:, names].to_numpy(dtype="float64")
    features = [c.removeprefix(PREFIX) for c in names]
    level = calibration.false_alarm_rate / 2  # half for the ranking, half for the features
    ref_importance, cur_importance = np.abs(ref).mean(axis=0), np.abs(cur).mean(axis=0)
    score = ndcg(ref_importance, cur_importance)
    limit = min(settings.ndcg_floor, _bootstrap_ndcg(ref, cur.shape[0], level, calibration))
    from scipy.stats import ks_2samp

    ks = {f: float(ks_2samp(ref[:, i], cur[:, i]).statistic) for i, f in enumerate(features)}
    per_feature = level / max(len(features), 1)
    limits = {f: max(KS_FLOOR, ks_limit(ref.shape[0], cur.shape[0], per_feature)) for f in ks}
    findings = [_ranking_finding(score, limit, ref_importance, cur_importance, features)]
    findings += [
        Finding(
            check="explanation_drift",
            feature=f,
            severity="warning" if ks[f] > limits[f] else "none",
            summary=f"{f}: attributions moved (KS {ks[f]:.3g} > {limits[f]:.3g}; mean |SHAP| "
            f"{ref_importance[i]:.3g} -> {cur_importance[i]:.3g})"
            if ks[f] > limits[f]
            else f"{f}: attributions as in the reference",
            metric="ks_statistic",
            value=ks[f],
            threshold=limits[f],
            details={
                "mean_abs_shap_reference": float(ref_importance[i]),
                "mean_abs_shap_window": float(cur_importance[i]),
            },
        )
        for i, f in enumerate(features)
    ]
    return ExplanationCheck(
        ndcg=score,
        ndcg_limit=limit,
        reference_importance=dict(zip(features, map(float, ref_importance), strict=True)),
        window_importance=dict(zip(features, map(float, cur_importance), strict=True)),
        ks=ks,
        ks_limit=limits,
        findings=findings,
    )


def _ranking_finding(
    score: float, limit: float, ref: np.ndarray, cur: np.ndarray, features: list[str]
) -> Finding:
    top_ref = [features[i] for i in np.argsort(-ref)[:3]]
    top_cur = [features[i] for i in np.argsort(-cur)[:3]]
    moved = score < limit
    return Finding(
        check="explanation_drift",
        feature=None,
        severity="warning" if moved else "none",
        summary=f"feature reliance ranking changed: nDCG {score:.3f} < {limit:.3f} "
        f"(top features {top_ref} -> {top_cur})"
        if moved
        else f"feature reliance ranking as in the reference (nDCG {score:.3f})",
        metric="ndcg",
        value=score,
        threshold=limit,
        details={"top_reference": ", ".join(top_ref), "top_window": ", ".join(top_cur)},
    )
