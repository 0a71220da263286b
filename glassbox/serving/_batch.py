"""One micro-batch, start to finish, on the model thread: model call, audit, hooks.

The requests of a batch were validated against the same model's contract. Their rows are
concatenated column by column into one frame, the model is called once, every prediction is
audited (``glassbox.audit.RunningChain.extend``: the score step's canonical encoding, hash and
chain, continued across the batches of a segment) and the batch's log line is handed to the
writer; the requests complete when that line is durable. Hooks run after each batch (live
drift, metrics, and whatever a caller adds — e.g. shadow scoring of a challenger) and never
fail the batch.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from glassbox.audit import AuditError, TextColumn
from glassbox.serving._errors import AUDIT_ERROR, MODEL_ERROR, RequestError

if TYPE_CHECKING:
    import asyncio

    from glassbox.serving._model import ServedModel
    from glassbox.serving._records import Records
    from glassbox.serving._settings import FaultSettings
    from glassbox.serving._wal import AuditLog

log = logging.getLogger("glassbox.serving")
PROBA, LABEL = "y_pred_proba", "y_pred"  # as the score step records them


@dataclass(eq=False)
class Job:
    """One request's records waiting for the model (or, from /monitor, already predicted)."""

    model: ServedModel
    records: Records
    event_time: np.datetime64
    caller: str
    request_id: str
    future: asyncio.Future[JobResult]
    proba: np.ndarray | None = None  # given by /monitor clients
    label: np.ndarray | None = None
    enqueued: float = field(default_factory=time.perf_counter)

    @property
    def monitored(self) -> bool:
        return self.proba is not None


@dataclass(frozen=True)
class JobResult:
    proba: np.ndarray
    label: np.ndarray
    hashes: list[str]
    batch_rows: int
    model: ServedModel


@dataclass(frozen=True)
class BatchOutcome:
    """What the model thread hands back: per-job results (or the error for all of them) and
    the future that completes when the batch's audit records are durable."""

    jobs: list[Job]
    results: list[JobResult] | None
    error: RequestError | None
    durable: tuple[Future[float], ...] = ()
    frame: pd.DataFrame | None = None  # the rows the model saw (shadow scoring reuses them)
    model_cpu_seconds: float = 0.0  # CPU time of the model call on this thread


class InjectedFaultError(RuntimeError):
    """Raised by fault injection (serving.faults.error_rate) in place of the model."""


BatchHook = Callable[["ServedModel", pd.DataFrame, np.ndarray, list[Job]], None]


class BatchProcessor:
    """Runs batches on the model thread; owns the audit log's chain."""

    def __init__(
        self,
        audit_log: AuditLog,
        faults: FaultSettings,
        hooks: list[BatchHook] | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.audit_log = audit_log
        self.faults = faults
        self.hooks: list[BatchHook] = list(hooks or [])
        self._rng = rng or random.Random()  # noqa: S311  (fault injection, not security)

    def add_hook(self, hook: BatchHook) -> None:
        """Call ``hook(model, frame, proba, jobs)`` after every successful batch."""
        self.hooks.append(hook)

    def process(self, jobs: list[Job]) -> BatchOutcome:
        model = jobs[0].model
        columns = {
            name: np.concatenate([job.records.columns[name] for job in jobs])
            if len(jobs) > 1
            else jobs[0].records.columns[name]
            for name in model.features
        }
        frame = pd.DataFrame(columns, copy=False)
        cpu = time.thread_time()
        try:
            proba, label = self._predict(model, frame, jobs)
        except Exception as exc:
            log.error(
                "model %s v%s failed: %s: %s",
                model.ref.name,
                model.ref.version,
                type(exc).__name__,
                exc,
            )
            error = RequestError(
                500,
                "model_error",
                f"the model failed on this batch ({type(exc).__name__})",
                error_type=MODEL_ERROR,
            )
            return BatchOutcome(jobs, None, error)
        cpu = time.thread_time() - cpu
        try:
            hashes, durable = self._audit(model, columns, proba, label, jobs)
        except AuditError as exc:
            error = RequestError(500, "audit_error", f"audit failed: {exc}", error_type=AUDIT_ERROR)
            return BatchOutcome(jobs, None, error)
        results, start = [], 0
        for job in jobs:
            end = start + job.records.n
            results.append(
                JobResult(proba[start:end], label[start:end], hashes[start:end], len(frame), model)
            )
            start = end
        for hook in self.hooks:
            try:
                hook(model, frame, proba, jobs)
            except Exception:
                log.exception("after-batch hook %r failed (the batch is not affected)", hook)
        return BatchOutcome(jobs, results, None, durable, frame, cpu)

    def _predict(
        self, model: ServedModel, frame: pd.DataFrame, jobs: list[Job]
    ) -> tuple[np.ndarray, np.ndarray]:
        if all(job.monitored for job in jobs):
            proba = np.concatenate([job.proba for job in jobs if job.proba is not None])
            label = np.concatenate([job.label for job in jobs if job.label is not None])
            return proba, label
        if self.faults.latency_ms:
            time.sleep(self.faults.latency_ms / 1000.0)
        if self.faults.error_rate and self._rng.random() < self.faults.error_rate:
            raise InjectedFaultError("injected by serving.faults.error_rate")
        proba = np.asarray(model.predict_proba(frame), dtype=np.float64)
        return proba, (proba >= model.label_threshold).astype(np.int64)

    def _audit(
        self,
        model: ServedModel,
        features: dict[str, np.ndarray],
        proba: np.ndarray,
        label: np.ndarray,
        jobs: list[Job],
    ) -> tuple[TextColumn, tuple[Future[float], ...]]:
        """Hash every record (glassbox.audit's canonical encoding), link it onto the segment's
        chain and queue the batch's log line; (record hashes, futures of durability)."""
        ids = [text for job in jobs for text in job.records.id_texts]
        stamps = np.concatenate([np.full(job.records.n, job.event_time) for job in jobs])
        callers = [job.caller for job in jobs for _ in range(job.records.n)]
        requests = [job.request_id for job in jobs for _ in range(job.records.n)]
        hashes, future = self.audit_log.append(
            model.identity,
            features=features,
            ids=ids,
            stamps=stamps,
            predictions={LABEL: label, PROBA: proba},
            callers=callers,
            request_ids=requests,
        )
        return hashes, (future,)
