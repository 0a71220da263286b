"""Everything a running server holds, started and stopped in order.

``prepare`` (``glassbox.serving._startup``, before the listener opens) resolves the model URI,
takes the audit directory's lock and recovers what a killed predecessor left. ``start`` (in
the background once the listener is up: ``/health`` answers, ``/ready`` says 503 until it is
done) loads the model, records the serving run and starts the background process, the model
thread, the audit writer and uploader, the alias follower and the periodic jobs. ``stop``
(SIGTERM, after the listener stopped accepting and the in-flight requests were answered)
drains the batcher, closes the segment, logs what is left to MLflow and ends the run.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from glassbox.errors import GlassboxError
from glassbox.serving._access_log import AccessLog
from glassbox.serving._alerts import AlertBoard, evaluate
from glassbox.serving._batch import BatchOutcome, BatchProcessor
from glassbox.serving._batcher import MicroBatcher
from glassbox.serving._callers import CallerHasher, caller_key
from glassbox.serving._drift_window import DriftWindow, LiveDrift
from glassbox.serving._follow import AliasFollower
from glassbox.serving._latency import LatencyWindow
from glassbox.serving._metrics import ServingMetrics
from glassbox.serving._model import ServedModel
from glassbox.serving._offload import Offload
from glassbox.serving._run import ServingRun
from glassbox.serving._settings import ServingSettings
from glassbox.serving._shadow_mode import ShadowMode
from glassbox.serving._startup import (
    Prepared,
    alert_router,
    drift_thresholds,
    freeze_heap,
    keep_freed_memory,
    start_offload,
    warm_up_audit,
)
from glassbox.serving._tracing import Tracing
from glassbox.serving._triggers import ServerTriggers
from glassbox.serving._uploader import Uploader
from glassbox.serving._wal import AuditLog

log = logging.getLogger("glassbox.serving")


class Service:
    """The running server's parts. Methods run on the event loop unless they say otherwise."""

    def __init__(
        self, settings: ServingSettings, prepared: Prepared, environ: dict[str, str]
    ) -> None:
        self.settings = settings
        self.prepared = prepared
        self.environ = environ
        self.metrics = ServingMetrics()
        self.latency = LatencyWindow(settings.slo.window_requests)
        self.reported = LatencyWindow(settings.slo.window_requests)
        self.access_log = AccessLog(enabled=settings.access_log)
        self.callers = CallerHasher(caller_key(prepared.audit_dir, prepared.audit_key, environ))
        self.model: ServedModel | None = None
        self.drift: DriftWindow | None = None
        self.run = ServingRun(settings, settings.experiment)
        self.executor = ThreadPoolExecutor(1, thread_name_prefix="glassbox-model")
        self.batcher: MicroBatcher | None = None
        self.audit_log: AuditLog | None = None
        self.uploader: Uploader | None = None
        self.follower: AliasFollower | None = None
        self.tracing: Tracing | None = None
        self.board: AlertBoard | None = None
        self.shadow: ShadowMode | None = None
        self.triggers: ServerTriggers | None = None
        self.offload: Offload | None = None
        self.delivery_failure: str | None = None
        self.failure: str | None = None
        self.in_flight = 0
        self._tasks: list[asyncio.Task[Any]] = []
        self._last_drift: LiveDrift | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def last_drift(self) -> LiveDrift | None:
        return self._last_drift

    @property
    def ready(self) -> bool:
        return self.model is not None and self.batcher is not None and not self.batcher.closing

    # -- start ---------------------------------------------------------------------------------

    async def start(self, host: str, port: int) -> None:
        """Load and wire everything; on failure remember why (``/ready`` reports it)."""
        from glassbox.serving._model import load

        self._loop = asyncio.get_running_loop()
        try:
            log.info("glassbox serve: %s", keep_freed_memory(self.settings.keep_freed_memory_mb))
            self.offload = start_offload(self.settings)
            model = await asyncio.to_thread(load, self.prepared.ref, self.settings)
            await self._on_model_thread(self._set_threads)
            await self._on_model_thread(model.warm_up)
            warm_up_audit()
            run_id = await asyncio.to_thread(self.run.start, model, self.prepared.uri, host, port)
        except Exception as exc:  # the server exits 1 with this reason (``on_tick``)
            self.failure = f"{type(exc).__name__}: {exc}"
            log.error("glassbox serve: not started: %s", self.failure)
            return
        self._wire(model, run_id)
        freeze_heap()
        log.info("serving %s v%s (run %s)", model.ref.name, model.ref.version, run_id)

    async def _on_model_thread(self, function: Any) -> Any:
        """Run ``function`` where the batches run (the chain and the model have one owner)."""
        if self.settings.batching.model_thread:
            return await asyncio.get_running_loop().run_in_executor(self.executor, function)
        return function()

    def _set_threads(self) -> None:
        """Limit OpenMP/BLAS threads of the model call (on the model thread: OpenMP's limit
        is per calling thread). Batches are small; a thread team costs more than it gives."""
        from threadpoolctl import threadpool_limits

        threadpool_limits(self.settings.model_threads)

    def _wire(self, model: ServedModel, run_id: str) -> None:
        settings, prepared = self.settings, self.prepared
        self.uploader = Uploader(
            prepared.audit_dir,
            run_id,
            prepared.audit_key,
            keep=settings.audit.keep_logged_segments,
            retry_seconds=settings.audit.upload_retry_seconds,
            on_logged=lambda _h, _n: self.metrics.segments(logged=1),
            offload=self.offload,
        )
        self.audit_log = AuditLog(
            prepared.audit_dir,
            run_id,
            settings=settings.audit,
            key=prepared.audit_key,
            on_closed=self.uploader.notify,
        )
        processor = BatchProcessor(self.audit_log, settings.faults, hooks=[self._drift_hook])
        self.batcher = MicroBatcher(processor, settings.batching, self.executor, self._on_durable)
        self.tracing = Tracing(self.environ, {"glassbox.serving.run_id": run_id}, self.offload)
        self.board = AlertBoard(f"{model.ref.name}/serving", alert_router(self.environ))
        self._use(model)
        self.uploader.mark_running()
        self.uploader.start()
        self.uploader.notify()
        self.batcher.start()
        if settings.follow_alias and model.ref.alias is not None:
            self.follower = AliasFollower(prepared.uri, settings, lambda: self.model, self._offer)
            self.follower.start()
        self._wire_delivery(model, run_id)
        self._tasks.append(asyncio.get_running_loop().create_task(self._periodic()))

    def _wire_delivery(self, model: ServedModel, run_id: str) -> None:
        """Shadow mode and the trigger rules: without them the champion still serves (the
        reason is logged and shown on /shadow, /triggers)."""
        settings = self.settings
        try:
            if settings.shadow.enabled:
                self.shadow = ShadowMode(settings, model, run_id, self.metrics, self.access_log)
                self.shadow.start()
            if settings.triggers.enabled:
                self.triggers = ServerTriggers(self)
        except (GlassboxError, OSError) as exc:
            self.delivery_failure = f"{type(exc).__name__}: {exc}"
            log.error("shadow mode / trigger rules not started: %s", self.delivery_failure)

    def _use(self, model: ServedModel) -> None:
        self.model = model
        self.drift = DriftWindow(
            model.profile, self.settings.drift, drift_thresholds(), offload=self.offload
        )
        self.metrics.set_model(
            model.ref.name, model.ref.version, model.ref.fingerprint, model.ref.alias
        )

    # -- model switch --------------------------------------------------------------------------

    def poke(self) -> None:
        """SIGHUP: check the followed alias (and the challenger's) now."""
        if self.follower is not None:
            self.follower.poke()
        if self.shadow is not None:
            self.shadow.poke()

    def _offer(self, model: ServedModel) -> None:
        """From the follower thread: swap on the event loop."""
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self.switch, model)

    def switch(self, model: ServedModel) -> None:
        old = self.model
        if old is None or old.ref.version == model.ref.version:
            return
        self._use(model)
        freeze_heap()
        self.metrics.switched(model.ref.name, model.ref.version)
        at = time.time()
        log.info("switched from %s v%s to v%s", old.ref.name, old.ref.version, model.ref.version)
        self.access_log.write(
            {
                "event": "model_switch",
                "from_version": old.ref.version,
                "to_version": model.ref.version,
                "alias": model.ref.alias,
            }
        )
        threading.Thread(
            target=self.run.record_switch, args=(old, model, at), name="glassbox-record-switch"
        ).start()

    # -- per batch -----------------------------------------------------------------------------

    def _drift_hook(self, model: ServedModel, frame: Any, proba: Any, jobs: list[Any]) -> None:
        window = self.drift
        if window is not None and model is self.model:
            window.add({name: frame[name].to_numpy() for name in window.names}, proba)

    def _on_durable(self, outcome: BatchOutcome, seconds: float) -> None:
        assert outcome.results is not None
        model = outcome.results[0].model
        labels = (model.ref.name, model.ref.version)
        rows = sum(job.records.n for job in outcome.jobs)
        self.metrics.audit_write(labels, seconds)
        self.metrics.predictions("ok", rows, labels)
        import numpy as np

        proba = np.concatenate([r.proba for r in outcome.results])
        self.metrics.batch(labels, rows, proba)
        if self.shadow is not None:
            self.shadow.offer(outcome)  # answered: now the challenger may score it

    # -- periodic ------------------------------------------------------------------------------

    async def _periodic(self) -> None:
        next_drift = next_summary = time.monotonic()
        while True:
            await asyncio.sleep(0.5)
            self.access_log.flush()
            if self.audit_log is not None:
                await self._on_model_thread(self.audit_log.tick)
            now = time.monotonic()
            if now >= next_drift:
                next_drift = now + self.settings.drift.refresh_seconds
                await self.refresh()
            if now >= next_summary:
                next_summary = now + self.settings.summary_interval_seconds
                await asyncio.to_thread(self._summary)
            if self.triggers is not None and self.triggers.due(now):
                await asyncio.to_thread(self.triggers.evaluate)

    async def refresh(self) -> LiveDrift | None:
        """Recompute live drift (off the loop), update the gauges and the active alerts."""
        window = self.drift
        live = await asyncio.to_thread(window.compute) if window is not None else None
        if live is not None:
            self.metrics.drift(live)
            self._last_drift = live
        self.alerts(live)
        return live

    def alerts(self, live: LiveDrift | None = None) -> list[dict[str, Any]]:
        slo = self.settings.slo
        since = time.time() - 300.0
        summary = self.latency.summary(since=since)
        recent = self.latency.summary(since=time.time() - 60.0)
        rps = recent.requests / 60.0 if summary.span_seconds >= 60 else None
        found = evaluate(slo, summary, live or self._last_drift, rps)
        reported = self.reported.summary(since=since)
        found += [a for a in evaluate(slo, reported, None, None) if a.check == "serving_latency"]
        assert self.board is not None
        return self.board.update(found)

    def _summary(self) -> None:
        if not self.run.run_id:
            return
        summary = self.latency.summary(since=time.time() - self.settings.summary_interval_seconds)
        metrics: dict[str, float] = {"serving.requests": float(summary.requests)}
        for name in ("p50_ms", "p95_ms", "p99_ms", "error_rate", "throughput_rps"):
            value = getattr(summary, name)
            if value is not None:
                metrics[f"serving.{name}"] = float(value)
        live = self._last_drift
        if live is not None and live.result is not None and live.graded:
            metrics |= live.result.metrics("serving.drift")
        if self.uploader is not None:
            metrics["serving.audit.segments_logged"] = float(self.uploader.logged)
        if self.shadow is not None:
            metrics |= self.shadow.summary()
        try:
            self.run.log_summary(metrics)
        except Exception as exc:  # MLflow unreachable: the next summary tries again
            log.warning("serving run: summary not logged (%s)", exc)

    # -- stop ----------------------------------------------------------------------------------

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        if self.follower is not None:
            self.follower.stop()
        drained = True
        if self.batcher is not None:
            drained = await self.batcher.drain(self.settings.drain_seconds)
            await self.batcher.stop()
        if self.audit_log is not None:
            await self._on_model_thread(self.audit_log.close)
        shadow_logged = True
        if self.shadow is not None:
            shadow_logged = await asyncio.to_thread(self.shadow.stop, self.settings.drain_seconds)
        logged = True
        if self.uploader is not None:
            logged = await asyncio.to_thread(self.uploader.stop, self.settings.drain_seconds)
        self.access_log.flush()
        if self.tracing is not None:
            await asyncio.to_thread(self.tracing.shutdown)
        if self.run.run_id:
            status = "FINISHED" if drained and logged and self.failure is None else "FAILED"
            await asyncio.to_thread(self._finish, status, drained, logged, shadow_logged)
        self.executor.shutdown(wait=False)
        if self.offload is not None:
            await asyncio.to_thread(self.offload.close)
        os.close(self.prepared.lock_fd)

    def _finish(self, status: str, drained: bool, logged: bool, shadow_logged: bool) -> None:
        tags = {"drained": drained, "audit_logged": logged}
        if self.shadow is not None:
            tags["shadow.logged"] = shadow_logged
        try:
            self.run.end(status, {f"glassbox.serving.{k}": str(v).lower() for k, v in tags.items()})
            if logged and self.uploader is not None:
                self.uploader.mark_ended()  # ended, with every segment logged
        except Exception as exc:
            log.warning("serving run not ended (%s); the next start on this volume ends it", exc)
