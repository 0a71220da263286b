"""Held-out metrics and the promotion gate (``mlflow.validate_evaluation_results``).

The gate passes when the candidate clears the absolute floors *and* is not worse than the
current champion by more than ``champion_tolerance`` on the same held-out rows. MLflow's
``MetricThreshold`` only expresses "at least baseline + change", so the champion's metrics are
lowered by the tolerance and compared with ``min_relative_change=0.0`` (candidate >= that).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from glassbox.config import GateSettings

# Metric names follow mlflow's default classifier evaluator, so the gate keys read the same.
GATED = {"roc_auc": "min_roc_auc", "accuracy_score": "min_accuracy"}


def holdout_metrics(model: Any, X: pd.DataFrame, y: pd.Series) -> dict[str, float]:
    from sklearn import metrics as m

    proba = model.predict_proba(X)[:, 1]
    label = (proba >= 0.5).astype(int)
    return {
        "roc_auc": float(m.roc_auc_score(y, proba)),
        "accuracy_score": float(m.accuracy_score(y, label)),
        "f1_score": float(m.f1_score(y, label)),
        "precision_score": float(m.precision_score(y, label, zero_division=0)),
        "recall_score": float(m.recall_score(y, label)),
        "log_loss": float(m.log_loss(y, proba)),
        "brier_score": float(m.brier_score_loss(y, proba)),
        "example_count": float(len(y)),
    }


@dataclass(frozen=True)
class GateVerdict:
    passed: bool
    reasons: str
    thresholds: dict[str, dict[str, Any]]

    @property
    def label(self) -> str:
        return "passed" if self.passed else "failed"


def gate(
    candidate: dict[str, float], champion: dict[str, float] | None, conf: GateSettings
) -> GateVerdict:
    from mlflow import validate_evaluation_results
    from mlflow.models import MetricThreshold
    from mlflow.models.evaluation import EvaluationResult
    from mlflow.models.evaluation.validation import ModelValidationFailedException

    thresholds = {
        name: MetricThreshold(
            threshold=getattr(conf, floor),
            min_relative_change=0.0 if champion else None,
            greater_is_better=True,
        )
        for name, floor in GATED.items()
    }
    baseline = (
        EvaluationResult(
            metrics={k: champion[k] - conf.champion_tolerance for k in GATED}, artifacts={}
        )
        if champion
        else None
    )
    described = {
        name: {
            "floor": getattr(conf, floor),
            "champion": champion.get(name) if champion else None,
            "tolerance": conf.champion_tolerance if champion else None,
            "candidate": candidate.get(name),
        }
        for name, floor in GATED.items()
    }
    try:
        validate_evaluation_results(
            thresholds, EvaluationResult(metrics=candidate, artifacts={}), baseline
        )
    except ModelValidationFailedException as exc:
        return GateVerdict(False, exc.message, described)
    why = "absolute floors met" + (
        f" and not worse than the champion by more than {conf.champion_tolerance}"
        if champion
        else " (no champion yet)"
    )
    return GateVerdict(True, why, described)
