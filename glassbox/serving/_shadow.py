"""Shadow mode: the challenger scores every served request, off the hot path.

When the registered model has a challenger alias (``serving.shadow.alias``, default
``delivery.challenger_alias``), the server loads that version too and follows its moves like the
champion's. Each micro-batch whose audit records are durable — its callers are being answered —
is offered to the ``ShadowScorer``: a bounded queue (``max_queue_rows``) in front of one worker
thread, which calls the challenger on exactly the rows the champion saw and writes one
``glassbox.delivery.ShadowRecord`` per prediction (both outputs, both model times) to the shadow
log. A full queue drops the batch and counts it (``glassbox_serving_shadow_dropped_total``):
the champion is never slowed down to wait for the challenger. The log is what ``glassbox canary
analyze --shadow`` reads.

Model time (``latency_seconds``, both sides): the CPU time of the model call on the batch the
prediction was in, measured on the calling thread. Wall time would charge the challenger for
waiting on the event loop (one GIL), which says nothing about the model.
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
import warnings
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from glassbox.serving._shadow_files import ShadowFiles

if TYPE_CHECKING:
    from glassbox.serving._batch import BatchOutcome
    from glassbox.serving._metrics import ServingMetrics
    from glassbox.serving._model import ServedModel
    from glassbox.serving._settings import ShadowSettings

log = logging.getLogger("glassbox.serving")


@dataclass
class ShadowStats:
    records: int = 0
    errors: int = 0
    dropped: int = 0
    skipped_same_version: int = 0
    not_sampled: int = 0
    batches: int = 0


class ShadowScorer(threading.Thread):
    """The queue and the worker thread; ``offer`` runs on the event loop and never blocks."""

    def __init__(
        self,
        settings: ShadowSettings,
        directory: Path,
        metrics: ServingMetrics,
        model_threads: int,
        on_file_closed: Any,
    ) -> None:
        super().__init__(name="glassbox-shadow", daemon=True)
        self.settings = settings
        self.metrics = metrics
        self.model_threads = model_threads
        self.files = ShadowFiles(
            directory, settings.file_max_records, settings.file_max_seconds, on_file_closed
        )
        self.challenger: ServedModel | None = None
        self.stats = ShadowStats()
        self.paused_until = 0.0
        self.pause_reason = ""
        self.incompatible = ""
        self._queue: deque[BatchOutcome] = deque()
        self._queued_rows = 0
        self._cond = threading.Condition()
        self._stopping = False
        self._rng = random.Random()  # noqa: S311  (sampling, not security)

    # -- event loop side -----------------------------------------------------------------------

    @property
    def queued_rows(self) -> int:
        return self._queued_rows

    @property
    def state(self) -> str:
        if self.challenger is None:
            return "no_challenger"
        if self.incompatible:
            return "incompatible"
        if time.time() < self.paused_until:
            return "paused"
        return "scoring"

    def set_challenger(self, model: ServedModel | None) -> None:
        """Shadow ``model`` from the next batch on (None: stop shadowing)."""
        self.incompatible = ""
        self.challenger = model

    def offer(self, outcome: BatchOutcome) -> None:
        """Queue a durable batch for the challenger, or drop and count it when the queue is full."""
        challenger = self.challenger
        if challenger is None or outcome.frame is None:
            return
        if outcome.jobs[0].monitored or time.time() < self.paused_until:
            return
        rate = self.settings.sample_rate
        if rate < 1.0 and self._rng.random() >= rate:
            self.stats.not_sampled += len(outcome.frame)
            return
        rows = len(outcome.frame)
        with self._cond:
            if self._queued_rows and self._queued_rows + rows > self.settings.max_queue_rows:
                self.stats.dropped += rows
                labels = (challenger.ref.name, challenger.ref.version)
                self.metrics.shadow_dropped(labels, "queue_full", rows)
                return
            self._queue.append(outcome)
            self._queued_rows += rows
            self.metrics.shadow_queue(self._queued_rows)
            self._cond.notify()

    def pause(self, seconds: float, reason: str) -> None:
        """Stop shadow scoring for ``seconds`` (scale_down trigger: shed the challenger's load)."""
        self.paused_until = time.time() + seconds
        self.pause_reason = reason

    # -- worker thread -------------------------------------------------------------------------

    def run(self) -> None:
        from threadpoolctl import threadpool_limits

        threadpool_limits(self.model_threads)
        _quiet_sklearn_thread_race()
        while True:
            with self._cond:
                while not self._queue and not self._stopping:
                    self._cond.wait(1.0)
                    self.files.tick()
                if not self._queue:  # stopping, everything done
                    break
                outcome = self._queue.popleft()
            try:
                self._score(outcome)
            except Exception:  # a bug or a full disk: the champion is not affected
                log.exception("shadow: batch not recorded")
            finally:
                with self._cond:
                    self._queued_rows -= len(outcome.frame) if outcome.frame is not None else 0
                    self.metrics.shadow_queue(self._queued_rows)
        self.files.close()

    def close(self, timeout: float) -> bool:
        """Score what is queued (within ``timeout``), close the open file; True if all done."""
        with self._cond:
            self._stopping = True
            self._cond.notify()
        if self.is_alive():
            self.join(timeout)
        else:
            self.files.close()
        return not self.is_alive()

    def _score(self, outcome: BatchOutcome) -> None:
        challenger = self.challenger
        assert outcome.results is not None
        assert outcome.frame is not None
        champion = outcome.results[0].model
        if challenger is None:
            return
        if challenger.ref.version == champion.ref.version:
            self.stats.skipped_same_version += len(outcome.frame)
            return
        frame = outcome.frame
        missing = [c for c in challenger.features if c not in frame.columns]
        self.incompatible = (
            f"challenger v{challenger.ref.version} needs column(s) {', '.join(missing)} that "
            f"champion v{champion.ref.version}'s contract does not have"
            if missing
            else ""
        )
        if missing:
            return
        if frame.columns.tolist() != list(challenger.features):
            frame = frame[list(challenger.features)]
        cpu = time.thread_time()
        error: str | None = None
        try:
            proba = np.asarray(challenger.predict_proba(frame), dtype=np.float64)
            if proba.shape != (len(frame),) or not ((proba >= 0) & (proba <= 1)).all():
                error = "invalid_output"  # NaN fails the comparison too
        except Exception as exc:
            error = "model_error"
            log.warning("shadow: challenger v%s failed on a batch: %s: %s",
                        challenger.ref.version, type(exc).__name__, exc)  # fmt: skip
            proba = np.zeros(len(frame))
        cpu = time.thread_time() - cpu
        lines = _lines(outcome, champion, challenger, proba, error=error, cpu=cpu)
        self.files.write(lines)
        self.stats.batches += 1
        self.stats.records += len(lines)
        labels = (challenger.ref.name, challenger.ref.version)
        self.metrics.shadow_records(labels, "error" if error else "ok", len(lines))
        if error:
            self.stats.errors += len(lines)

    def describe(self) -> dict[str, Any]:
        challenger = self.challenger
        return {
            "state": self.state,
            "challenger": challenger.info() if challenger is not None else None,
            "reason": self.incompatible or (self.pause_reason if self.state == "paused" else ""),
            "records": self.stats.records,
            "errors": self.stats.errors,
            "dropped": self.stats.dropped,
            "skipped_same_version": self.stats.skipped_same_version,
            "not_sampled": self.stats.not_sampled,
            "sample_rate": self.settings.sample_rate,
            "queue_rows": self._queued_rows,
            "max_queue_rows": self.settings.max_queue_rows,
            "dir": str(self.files.directory),
            "files": self.files.files,
        }


_RACE = "`sklearn.utils.parallel.delayed` should be used"


def _quiet_sklearn_thread_race() -> None:
    """Drop one scikit-learn warning that concurrent model calls on two threads provoke.

    Around every call, scikit-learn's ``Parallel`` copies the process' warning filters and
    re-installs them (``catch_warnings`` + ``resetwarnings``, which Python 3.11 does not make
    thread-safe). While one thread re-installs them, the other sees no filter at all and warns
    that its configuration may not reach joblib workers — which a sequential predict has none
    of — on every batch. A warning filter is wiped by that very race, so the message is
    dropped where warnings are shown instead (``showwarning``, which the race leaves alone).
    """
    show = warnings.showwarning
    if getattr(show, "_glassbox_quiet", False):
        return

    def quiet(message: Any, category: Any, *args: Any, **kwargs: Any) -> None:
        if category is UserWarning and str(message).startswith(_RACE):
            return
        show(message, category, *args, **kwargs)

    quiet._glassbox_quiet = True  # type: ignore[attr-defined]
    warnings.showwarning = quiet


def _lines(
    outcome: BatchOutcome,
    champion: ServedModel,
    challenger: ServedModel,
    proba: np.ndarray,
    *,
    error: str | None,
    cpu: float,
) -> list[str]:
    """One ``ShadowRecord`` JSON line per prediction (the reader's format, schema_version 1)."""
    assert outcome.results is not None
    champion_proba = np.concatenate([r.proba for r in outcome.results]).tolist()
    champion_label = np.concatenate([r.label for r in outcome.results]).tolist()
    labels = (proba >= challenger.label_threshold).astype(np.int64).tolist()
    scores = proba.tolist()
    base_champion = {"version": champion.ref.version, "latency_seconds": outcome.model_cpu_seconds}
    base_challenger: dict[str, Any] = {"version": challenger.ref.version, "latency_seconds": cpu}
    lines, i = [], 0
    for job in outcome.jobs:
        stamp = str(np.datetime_as_string(job.event_time, unit="us")) + "+00:00"
        for pid in job.records.id_texts:
            side = base_challenger | (
                {"error": error} if error else {"proba": scores[i], "label": labels[i]}
            )
            record = {
                "schema_version": 1,
                "request_id": job.request_id,
                "id": pid,
                "timestamp": stamp,
                "model": champion.ref.name,
                "champion": base_champion
                | {"proba": champion_proba[i], "label": champion_label[i]},
                "challenger": side,
            }
            lines.append(json.dumps(record, separators=(",", ":")) + "\n")
            i += 1
    return lines
