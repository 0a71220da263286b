"""Typed settings of progressive delivery: the ``delivery:`` section of ``glassbox.yaml``.

Every criterion of the canary analysis has a tolerance (how much worse the challenger may be),
a minimum sample size per side and, through ``required``, whether a promote verdict needs it.
Defaults are sized so that the statistical behaviour documented in docs/delivery.md holds at
``min_samples`` (bench/canary.py measures it): identical models are rolled back in at most
``alpha`` of analyses, a doubled error rate or a 2-point ROC AUC drop is caught in >= 90%.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Action = Literal["alert", "rollback", "scale_down"]
MoveKind = Literal["promote", "rollback", "reject"]
Level = Literal["warning", "critical"]
Comparison = Literal[">=", ">", "<=", "<"]

_DURATION = re.compile(r"^(\d+)(ms|s|m|h|d)$")
_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


def duration_seconds(text: str) -> float:
    """``30m`` -> 1800.0 (a Prometheus-style duration: ms, s, m, h, d)."""
    match = _DURATION.match(text.strip())
    if not match:
        raise ValueError(f"expected a duration such as 30s, 5m, 2h or 1d, got {text!r}")
    return int(match.group(1)) * _SECONDS[match.group(2)]


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Criterion(_Frozen):
    """What every criterion shares."""

    enabled: bool = True
    required: bool = True
    min_samples: int = Field(1000, ge=1, description="per side (champion and challenger)")
    tolerance: float = Field(0.0, ge=0, description="absolute worsening allowed")
    relative_tolerance: float = Field(
        0.0, ge=0, description="worsening allowed as a share of the champion's value"
    )

    def margin(self, champion_value: float) -> float:
        """The worsening the challenger may show before it counts against it."""
        return max(self.tolerance, self.relative_tolerance * abs(champion_value))


class LatencyCriterion(Criterion):
    quantile: float = Field(0.99, gt=0, lt=1)


class ScoreShiftCriterion(Criterion):
    """Score distribution shift through glassbox.drift (PSI, JS, KS on the challenger's scores
    against the champion's); the verdict follows the drift severity, not a tolerance."""

    required: bool = False
    rollback_at: Literal["warning", "critical"] = "critical"
    thresholds: dict[str, Any] = Field(
        default_factory=lambda: {
            "default": [{"type": "static", "metric": "psi", "warning": 0.1, "critical": 0.25}]
        },
        description="glassbox.drift DriftThresholds for the score column",
    )


class AgreementCriterion(Criterion):
    """Share of requests where both models give the same label (shadow log only)."""

    required: bool = False
    min_agreement: float = Field(0.9, gt=0, le=1)


class AnalysisSettings(_Frozen):
    alpha: float = Field(
        0.02, gt=0, lt=0.5, description="false-rollback rate of one analysis (all criteria)"
    )
    bootstrap_resamples: int = Field(20_000, ge=200)
    seed: int | None = Field(0, description="bootstrap seed (None: fresh each run)")
    error_rate: Criterion = Criterion(min_samples=6000, tolerance=0.001, relative_tolerance=0.25)
    latency_p95: LatencyCriterion = LatencyCriterion(
        quantile=0.95, min_samples=2000, tolerance=0.002, relative_tolerance=0.2
    )
    latency_p99: LatencyCriterion = LatencyCriterion(
        quantile=0.99, min_samples=2000, tolerance=0.005, relative_tolerance=0.25
    )
    score_shift: ScoreShiftCriterion = ScoreShiftCriterion()
    agreement: AgreementCriterion = AgreementCriterion()
    accuracy: Criterion = Criterion(required=False, min_samples=3000, tolerance=0.01)
    roc_auc: Criterion = Criterion(required=False, min_samples=3000, tolerance=0.005)


class PrometheusSettings(_Frozen):
    url: str = Field("http://prometheus-operated.monitoring.svc:9090", min_length=1)
    window: str = "30m"
    endpoint: str = Field("/predict", description="the `endpoint` label of the serving metrics")
    timeout_seconds: float = Field(10.0, gt=0)

    @field_validator("window")
    @classmethod
    def _window(cls, value: str) -> str:
        duration_seconds(value)
        return value


class TriggerRule(_Frozen):
    """``{metric, threshold, action}``: fire ``action`` when ``metric op threshold``.

    ``metric`` may be a glob (``psi.*`` matches every feature's PSI); one decision per rule and
    evaluation, on the worst matching value. After firing, the rule is quiet for its cooldown.
    """

    name: str = Field("", description="default: derived from metric, op, threshold and action")
    metric: str = Field(min_length=1)
    op: Comparison = ">="
    threshold: float
    action: Action
    cooldown_seconds: float = Field(3600.0, ge=0)
    severity: Literal["warning", "critical"] | None = Field(
        None, description="alert severity (default: critical for rollback, warning otherwise)"
    )

    @property
    def key(self) -> str:
        return self.name or f"{self.metric} {self.op} {self.threshold:g} -> {self.action}"

    @property
    def alert_severity(self) -> str:
        return self.severity or ("critical" if self.action == "rollback" else "warning")


class RollbackGuard(_Frozen):
    """Guardrails of automated rollbacks (a trigger, the cron), like those of retraining."""

    enabled: bool = True
    max_per_period: int = Field(1, ge=1)
    period_hours: float = Field(24.0, gt=0)
    max_champion_age_hours: float = Field(
        168.0,
        gt=0,
        description="roll back only a champion promoted this recently: an older one that meets "
        "drift needs retraining, not its predecessor",
    )


def _default_severities() -> dict[MoveKind, Level]:
    return {"promote": "warning", "rollback": "critical", "reject": "warning"}


class DeliverySettings(_Frozen):
    challenger_alias: str = Field("challenger", min_length=1)
    experiment: str = Field("glassbox-car-loan-delivery", min_length=1)
    state_dir: Path | None = Field(
        None, description="trigger state; default $GLASSBOX_HOME/delivery"
    )
    alert_severity: dict[MoveKind, Level] = Field(default_factory=_default_severities)
    analysis: AnalysisSettings = AnalysisSettings()
    prometheus: PrometheusSettings = PrometheusSettings()
    triggers: tuple[TriggerRule, ...] = (
        TriggerRule(metric="psi.*", threshold=0.25, action="alert"),
        TriggerRule(metric="psi.*", threshold=0.5, action="rollback"),
        TriggerRule(metric="latency_p99_seconds", threshold=0.5, action="scale_down"),
        TriggerRule(metric="error_rate", threshold=0.05, action="rollback"),
    )
    automatic_rollback: RollbackGuard = RollbackGuard()

    @model_validator(mode="after")
    def _unique_rule_keys(self) -> DeliverySettings:
        keys = [rule.key for rule in self.triggers]
        doubled = sorted({k for k in keys if keys.count(k) > 1})
        if doubled:
            raise ValueError(f"triggers: rules {doubled} are listed twice (give them a name)")
        return self

    def severity(self, action: str) -> str:
        """Alert severity of an alias move (``warning`` for anything not configured)."""
        return str(self.alert_severity.get(action, "warning"))  # type: ignore[call-overload]

    def resolved_state_dir(self, environ: Mapping[str, str] | None = None) -> Path:
        if self.state_dir is not None:
            return self.state_dir
        env = os.environ if environ is None else environ
        return Path(env.get("GLASSBOX_HOME") or ".glassbox") / "delivery"
