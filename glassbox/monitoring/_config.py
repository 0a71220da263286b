"""The ``monitoring:`` section of the settings, typed: every knob of the monitoring core.

Validated when the settings are loaded (``glassbox.config``), so a misspelt key or a bad value
stops the run with a message naming it. Example (YAML)::

    monitoring:
      calibration: {false_alarm_rate: 0.01}       # per window and per check
      drift_thresholds:
        default: [{type: calibrated, metric: psi}]
      quality:
        missing_values: {warning: 0.05, critical: 0.2}
      nannyml: {chunk_size: 5000}
      performance:
        rules: [{metric: roc_auc, max_relative_drop: 0.05}, {metric: accuracy, floor: 0.7}]
      explanation: {sample_rows: 2000, ndcg_floor: 0.9}
      labels: {arrival_column: label_received_at}
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from glassbox.cron._retrain import RetrainPolicy
from glassbox.drift._calibration import Calibration
from glassbox.drift._thresholds import DriftThresholds
from glassbox.monitoring._settings import MonitorSettings
from glassbox.quality._thresholds import QualityThresholds

ProblemType = Literal["auto", "classification_binary", "regression"]
#: Metrics a performance rule may name, and whether a higher value is better.
HIGHER_IS_BETTER: dict[str, bool] = {
    "roc_auc": True,
    "accuracy": True,
    "f1": True,
    "precision": True,
    "recall": True,
    "specificity": True,
    "r2": True,
    "mae": False,
    "mse": False,
    "rmse": False,
    "mape": False,
}
CLASSIFICATION_METRICS = ("roc_auc", "accuracy", "f1", "precision", "recall", "specificity")
REGRESSION_METRICS = ("mae", "mse", "rmse", "mape", "r2")


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PerformanceRule(_Frozen):
    """A performance check on one metric of the window's realized (labelled) performance.

    Chunks whose metric is worse than the reference by more than its calibrated noise raise
    ``performance``; in addition the whole window breaks the rule when it is worse than
    ``floor`` (absolute) or than the reference by more than ``max_relative_drop`` (0.05 =
    "5 % below the reference"; for error metrics such as ``mae``, 5 % above)."""

    metric: str
    floor: float | None = None
    max_relative_drop: float | None = Field(None, gt=0, lt=1)
    severity: Literal["warning", "critical"] = "critical"

    @model_validator(mode="after")
    def _known(self) -> PerformanceRule:
        if self.metric not in HIGHER_IS_BETTER:
            raise ValueError(
                f"unknown metric {self.metric!r}; expected one of {sorted(HIGHER_IS_BETTER)}"
            )
        return self

    @property
    def higher_is_better(self) -> bool:
        return HIGHER_IS_BETTER[self.metric]


class PerformanceSettings(_Frozen):
    """Which metrics are checked. ``rules`` empty: ROC AUC for classification, MAE and RMSE
    for regression (the first rule's metric drives the concept-drift verdict)."""

    problem_type: ProblemType = "auto"
    rules: tuple[PerformanceRule, ...] = ()

    def rules_for(self, problem: str) -> tuple[PerformanceRule, ...]:
        if self.rules:
            allowed = CLASSIFICATION_METRICS if problem != "regression" else REGRESSION_METRICS
            wrong = [r.metric for r in self.rules if r.metric not in allowed]
            if wrong:
                raise ValueError(f"metrics {wrong} do not apply to a {problem} model")
            return self.rules
        if problem == "regression":
            return (PerformanceRule(metric="mae"), PerformanceRule(metric="rmse"))
        return (PerformanceRule(metric="roc_auc"),)


class ExplanationSettings(_Frozen):
    """Explanation drift: SHAP on a sample of the window against the reference attributions."""

    enabled: bool = True
    sample_rows: int = Field(2000, ge=100)
    # SageMaker Clarify's and Azure ML's default: a ranking nDCG below 0.9 is a change.
    ndcg_floor: float = Field(0.9, gt=0, le=1)


class LabelSettings(_Frozen):
    """Delayed labels and feedback latency. ``arrival_column`` names the targets' column holding
    when each label arrived (latency = arrival - the prediction's timestamp). Without it the
    cron observes arrivals itself (latency = the run that first saw the label - the scoring
    time; ``glassbox.cron.record_label_arrivals``), waiting at most ``max_wait_days`` for a
    prediction's label."""

    arrival_column: str | None = Field(None, min_length=1)
    max_wait_days: float = Field(90.0, gt=0)


class MonitoringSettings(_Frozen):
    """Everything the monitoring cron and ``glassbox monitor`` read from ``monitoring:``."""

    calibration: Calibration = Calibration()
    # Partitions (months) of a window smaller than this get statistics but no severity.
    min_partition_rows: int = Field(1000, ge=1)
    drift_thresholds: DriftThresholds = DriftThresholds()
    quality: QualityThresholds = QualityThresholds()
    nannyml: MonitorSettings = MonitorSettings()
    performance: PerformanceSettings = PerformanceSettings()
    explanation: ExplanationSettings = ExplanationSettings()
    labels: LabelSettings = LabelSettings()
    retrain: RetrainPolicy = RetrainPolicy()

    def for_task(self, task: str) -> MonitoringSettings:
        """These settings for a model of ``task`` (``classification`` or ``regression``, as
        ``glassbox.model.task_of`` says): an ``auto`` problem type becomes the model's."""
        if self.performance.problem_type != "auto":
            return self
        problem = "regression" if task == "regression" else "classification_binary"
        performance = self.performance.model_copy(update={"problem_type": problem})
        return self.model_copy(update={"performance": performance})
