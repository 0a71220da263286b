"""The trace as typed, versioned models (what ``glassbox trace --json`` prints)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

TRACE_FORMAT = "glassbox.trace/1"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RunRecord(_Model):
    """One MLflow run of a step, with the code and orchestration it ran under."""

    run_id: str
    step: str
    status: str
    start_time: str | None = None
    commit: str | None = None
    dirty: bool | None = None
    code_source: str | None = None  # git | image | unknown
    lock_sha256: str | None = None
    image: str | None = None
    executor: str | None = None
    workflow_name: str | None = None
    workflow_uid: str | None = None
    pipeline_run_id: str | None = None
    pod: str | None = None
    seed: str | None = None


class DatasetLink(_Model):
    """A dataset a run consumed, and the run that produced it (when one did)."""

    consumer_run_id: str
    name: str
    digest: str
    source: str
    context: str
    produced_by: RunRecord | None = None


class PredictionRecord(_Model):
    prediction_id: str
    seq: int
    record_hash: str
    chain_hash: str
    event_timestamp: str
    prediction: Any
    hash_alg: str
    matched_by: str  # record_hash | chain_hash | prediction_id | row


class ChainCheck(_Model):
    ok: bool
    records: int
    root: str
    problems: list[str] = Field(default_factory=list)


class ModelLink(_Model):
    name: str
    version: str
    fingerprint: str
    registered_run_id: str | None = None
    training_fingerprint: str | None = None

    @property
    def fingerprint_matches(self) -> bool:
        return self.training_fingerprint == self.fingerprint


class Trace(_Model):
    """Prediction → score run → chain → model → training run → datasets → producing runs."""

    format: str = TRACE_FORMAT
    query: str
    prediction: PredictionRecord
    score_run: RunRecord
    chain: ChainCheck
    model: ModelLink
    training_run: RunRecord | None
    datasets: list[DatasetLink]
    pipeline_run: RunRecord | None
    other_matches: list[str] = Field(default_factory=list)  # "run_id:seq" of other records
