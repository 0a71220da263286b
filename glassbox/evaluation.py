"""Held-out metrics and the promotion gate (``mlflow.validate_evaluation_results``).

The gate passes when the candidate clears the absolute floors and ceilings *and* is not worse
than the current champion by more than ``champion_tolerance`` on the same held-out rows.
MLflow's ``MetricThreshold`` only expresses "at least baseline + change", so the champion's
metrics are lowered by the tolerance and compared with ``min_relative_change=0.0`` (candidate
>= that).

Gated metrics, by the model's task (:data:`GATED`): a classifier's ROC AUC and accuracy
(floors, and the champion comparison); a regressor's R² (floor, and the champion comparison:
it is scale-free like ROC AUC) and RMSE and MAE (ceilings in the target's units, when set).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from glassbox.config import GateSettings, Task


@dataclass(frozen=True)
class Gated:
    """One gated metric: its name (as MLflow's default evaluators name it), the gate setting
    that holds its limit, its direction, and whether the champion is compared on it."""

    metric: str
    setting: str
    greater_is_better: bool = True
    champion: bool = True

    def limit(self, conf: GateSettings) -> float | None:
        value = getattr(conf, self.setting)
        return None if value is None else float(value)


GATED: dict[str, tuple[Gated, ...]] = {
    "classification": (Gated("roc_auc", "min_roc_auc"), Gated("accuracy_score", "min_accuracy")),
    "regression": (
        Gated("r2_score", "min_r2"),
        Gated("root_mean_squared_error", "max_rmse", greater_is_better=False, champion=False),
        Gated("mean_absolute_error", "max_mae", greater_is_better=False, champion=False),
    ),
}


def holdout_metrics(model: Any, X: pd.DataFrame, y: pd.Series) -> dict[str, float]:
    """The model's metrics on the held-out rows (names as MLflow's default evaluators)."""
    from glassbox import model as gm

    if gm.task_of(model) == "regression":
        return _regression_metrics(gm.outputs(model, X)[gm.LABEL], y)
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


def _regression_metrics(predicted: Any, y: pd.Series) -> dict[str, float]:
    import numpy as np
    from sklearn import metrics as m

    mse = float(m.mean_squared_error(y, predicted))
    return {
        "r2_score": float(m.r2_score(y, predicted)),
        "root_mean_squared_error": float(np.sqrt(mse)),
        "mean_absolute_error": float(m.mean_absolute_error(y, predicted)),
        "mean_squared_error": mse,
        "max_error": float(m.max_error(y, predicted)),
        "mean_on_target": float(np.mean(y)),
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


def gated(conf: GateSettings, task: Task, champion: bool) -> tuple[Gated, ...]:
    """The task's gated metrics that have a limit or a champion comparison."""
    return tuple(g for g in GATED[task] if g.limit(conf) is not None or (champion and g.champion))


def gate(
    candidate: dict[str, float],
    champion: dict[str, float] | None,
    conf: GateSettings,
    task: Task = "classification",
) -> GateVerdict:
    from mlflow import validate_evaluation_results
    from mlflow.models import MetricThreshold
    from mlflow.models.evaluation import EvaluationResult
    from mlflow.models.evaluation.validation import ModelValidationFailedException

    criteria = gated(conf, task, champion is not None)
    compared = [g for g in criteria if champion is not None and g.champion]
    thresholds = {
        g.metric: MetricThreshold(
            threshold=g.limit(conf),
            min_relative_change=0.0 if g in compared else None,
            greater_is_better=g.greater_is_better,
        )
        for g in criteria
    }
    # MLflow reads a baseline value for every gated metric; only the compared ones are used.
    baseline = (
        EvaluationResult(
            metrics={
                g.metric: champion[g.metric] - (conf.champion_tolerance if g in compared else 0)
                for g in criteria
            },
            artifacts={},
        )
        if champion and compared
        else None
    )
    described = {
        g.metric: {
            "floor" if g.greater_is_better else "ceiling": g.limit(conf),
            "champion": champion.get(g.metric) if champion and g.champion else None,
            "tolerance": conf.champion_tolerance if champion and g.champion else None,
            "candidate": candidate.get(g.metric),
        }
        for g in criteria
    }
    try:
        validate_evaluation_results(
            thresholds, EvaluationResult(metrics=candidate, artifacts={}), baseline
        )
    except ModelValidationFailedException as exc:
        return GateVerdict(False, exc.message, described)
    why = "absolute limits met" + (
        f" and not worse than the champion by more than {conf.champion_tolerance}"
        if champion
        else " (no champion yet)"
    )
    return GateVerdict(True, why, described)
