"""Guardrails of the retraining trigger: only on a critical finding, not within the cooldown,
at most ``max_per_period`` per period, and never while a training pipeline is running."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

RETRAINS_TAG = "glassbox.monitor.retrains"


class RetrainPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True
    min_severity: str = Field("critical", pattern="^(warning|critical)$")
    cooldown_hours: float = Field(24.0, ge=0)
    period_hours: float = Field(24.0 * 7, gt=0)
    max_per_period: int = Field(2, ge=1)
    active_training_max_age_hours: float = Field(12.0, gt=0)


@dataclass(frozen=True)
class Decision:
    retrain: bool
    reason: str


def past_retrains(tag: str | None) -> list[datetime]:
    return [datetime.fromisoformat(t) for t in (tag or "").split(",") if t]


def decide(
    severity: str,
    policy: RetrainPolicy,
    past: list[datetime],
    training_running: bool,
    now: datetime | None = None,
) -> Decision:
    now = now or datetime.now(UTC)
    rank = {"none": 0, "warning": 1, "critical": 2}
    if not policy.enabled:
        return Decision(False, "retraining trigger disabled (monitoring.retrain.enabled)")
    if rank.get(severity, 0) < rank[policy.min_severity]:
        return Decision(False, f"worst finding is '{severity}', below '{policy.min_severity}'")
    if training_running:
        return Decision(False, "a training pipeline is running; not starting another")
    if past and now - max(past) < timedelta(hours=policy.cooldown_hours):
        return Decision(
            False,
            f"last retraining at {max(past).isoformat()} is within the "
            f"{policy.cooldown_hours:g} h cooldown",
        )
    recent = [t for t in past if now - t < timedelta(hours=policy.period_hours)]
    if len(recent) >= policy.max_per_period:
        return Decision(
            False,
            f"already {len(recent)} retrainings in the last "
            f"{policy.period_hours:g} h (max {policy.max_per_period})",
        )
    return Decision(True, f"'{severity}' finding; guardrails passed")


def training_running(experiment_id: str, max_age_hours: float) -> bool:
    """A training pipeline run still RUNNING and started recently (older ones are stale)."""
    import time

    import mlflow

    since = int((time.time() - max_age_hours * 3600) * 1000)
    runs: Any = mlflow.MlflowClient().search_runs(
        [experiment_id],
        "tags.`glassbox.run_kind` = 'pipeline' and attributes.status = 'RUNNING' "
        f"and attributes.start_time > {since}",
        max_results=1,
    )
    return bool(runs)


def record(history_client: Any, run_id: str, past: list[datetime], now: datetime) -> None:
    kept = [t.isoformat() for t in sorted([*past, now])[-20:]]
    history_client.set_tag(run_id, RETRAINS_TAG, ",".join(kept))
