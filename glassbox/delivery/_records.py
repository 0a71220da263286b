"""The record of every alias move: one MLflow run per decision, plus model-version tags.

A decision run lives in the delivery experiment (``delivery.experiment``) and carries the move
as tags (``glassbox.delivery.*``), the person or automation that made it (``glassbox.user``,
the orchestration identity), the commit and lock digest, the move as ``decision.json`` and,
when there is one, the canary analysis as ``analysis.json`` with its figures as metrics.
``history`` reads the moves back from those runs, oldest first.

The run is created *before* the alias moves and ended after, so a move is never made without a
record: a failure in between leaves the run FAILED (or RUNNING after a crash) with the reason.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    from glassbox.delivery._analysis import CanaryAnalysis

MoveAction = Literal["register", "promote", "rollback", "reject"]
RUN_KIND = "delivery_decision"
TAG = "glassbox.delivery."
_MAX_TAG = 4900  # MLflow's tag value limit is 5000 (8000 on newer stores): stay under both


class AliasMove(BaseModel):
    """One decision that moved (or removed) a registry alias."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    schema_version: Literal[1] = 1
    action: MoveAction
    model: str = Field(min_length=1)
    alias: str = Field(min_length=1, description="the alias that moved")
    from_version: str | None = Field(None, description="version the alias left (None: unset)")
    to_version: str | None = Field(None, description="version it points at now (None: removed)")
    actor: str = Field(min_length=1)
    reason: str = Field(min_length=1)
    at: datetime
    run_id: str = ""
    status: str = "FINISHED"
    verdict: str = ""
    analysis_run_id: str = ""

    def describe(self) -> str:
        """``promote champion: v1 -> v2`` (a removed alias shows as ``-``)."""
        before = f"v{self.from_version}" if self.from_version else "-"
        after = f"v{self.to_version}" if self.to_version else "-"
        return f"{self.action} {self.alias}: {before} -> {after}"

    def tags(self) -> dict[str, str]:
        values = {
            "action": self.action,
            "alias": self.alias,
            "from_version": self.from_version or "",
            "to_version": self.to_version or "",
            "actor": self.actor,
            "reason": self.reason[:_MAX_TAG],
            "at": self.at.isoformat(),
            "verdict": self.verdict,
            "analysis_run_id": self.analysis_run_id,
            "schema_version": str(self.schema_version),
        }
        return {TAG + k: v for k, v in values.items()} | {
            "glassbox.run_kind": RUN_KIND,
            "glassbox.model.name": self.model,
        }

    @classmethod
    def from_run(cls, run: Any) -> AliasMove:
        tags = run.data.tags

        def tag(name: str) -> str:
            return str(tags.get(TAG + name, ""))

        return cls(
            action=tag("action"),
            model=tags.get("glassbox.model.name", ""),
            alias=tag("alias"),
            from_version=tag("from_version") or None,
            to_version=tag("to_version") or None,
            actor=tag("actor") or "unknown",
            reason=tag("reason") or "(none)",
            at=datetime.fromisoformat(tag("at")),
            run_id=run.info.run_id,
            status=run.info.status,
            verdict=tag("verdict"),
            analysis_run_id=tag("analysis_run_id"),
        )


def now() -> datetime:
    return datetime.now(UTC)


def experiment_id(name: str) -> str:
    from glassbox.tracking import ensure_experiment

    return ensure_experiment(name)


def open_decision(experiment: str, move: AliasMove) -> str:
    """Create the decision run (RUNNING) with the move's tags; returns its run id."""
    import mlflow

    from glassbox.tracking import code_tags, current_identity, people_tags

    tags = move.tags() | code_tags() | people_tags() | current_identity().tags()
    tags["mlflow.user"] = move.actor
    tags["glassbox.user"] = move.actor
    tags["mlflow.source.name"] = "glassbox.delivery"
    run = mlflow.MlflowClient().create_run(
        experiment_id(experiment), run_name=f"{move.model}: {move.describe()}", tags=tags
    )
    return str(run.info.run_id)


def close_decision(
    run_id: str, move: AliasMove, analysis: CanaryAnalysis | None, error: str | None = None
) -> None:
    """Attach the evidence (decision.json, analysis.json + its metrics) and end the run."""
    import mlflow
    from mlflow.entities import Metric

    client = mlflow.MlflowClient()
    try:
        client.log_text(run_id, move.model_dump_json(indent=2), "decision.json")
        if analysis is not None:
            client.log_text(run_id, analysis.model_dump_json(indent=2), "analysis.json")
            stamp = int(move.at.timestamp() * 1000)
            metrics = [Metric(k, v, stamp, 0) for k, v in analysis.metrics().items()]
            for start in range(0, len(metrics), 1000):
                client.log_batch(run_id, metrics=metrics[start : start + 1000])
        if error:
            client.set_tag(run_id, "glassbox.error", error[:_MAX_TAG])
    finally:
        client.set_terminated(run_id, "FAILED" if error else "FINISHED")


def history(experiment: str, model: str, limit: int = 1000) -> list[AliasMove]:
    """The recorded alias moves of ``model``, oldest first (an unknown experiment: none)."""
    import mlflow

    client = mlflow.MlflowClient()
    found = client.get_experiment_by_name(experiment)
    if found is None:
        return []
    runs = client.search_runs(
        [found.experiment_id],
        f"tags.`glassbox.run_kind` = '{RUN_KIND}' and tags.`glassbox.model.name` = '{model}'",
        order_by=["attributes.start_time DESC"],
        max_results=limit,
    )
    moves = [AliasMove.from_run(run) for run in runs]
    return sorted(moves, key=lambda move: move.at)


def set_version_tags(model: str, version: str, values: dict[str, str]) -> None:
    import mlflow

    client = mlflow.MlflowClient()
    for key, value in values.items():
        client.set_model_version_tag(model, version, TAG + key, value[:_MAX_TAG])


def render(moves: list[AliasMove]) -> list[str]:
    """One line per move for the terminal: when, what, who, why, the run."""
    lines = []
    for move in moves:
        status = "" if move.status == "FINISHED" else f" [{move.status}]"
        verdict = f" (canary verdict: {move.verdict})" if move.verdict else ""
        lines.append(
            f"{move.at:%Y-%m-%d %H:%M:%S}Z  {move.describe():34}  by {move.actor}{status}"
            f"{verdict}\n    why: {move.reason}\n    run: {move.run_id}"
        )
    return lines


def as_json(moves: list[AliasMove]) -> str:
    return json.dumps([json.loads(m.model_dump_json()) for m in moves], indent=2)
