"""Micro-batching: concurrent requests coalesced into one model call.

Requests are queued as ``Job``s. One task takes what is queued (up to ``max_rows`` rows, jobs of
the same model and kind only) and runs the batch (on the event loop, or on the model thread with
``batching.model_thread``); meanwhile new requests queue up, so batches grow with load and a
lone request never waits for company. A
batch may wait up to ``max_wait_ms`` for more only while other requests are still being read
(``receiving``). Each request completes when its batch's audit line is durable; the next batch
starts meanwhile (the model call and the disk flush overlap).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Executor

from glassbox.serving._batch import BatchOutcome, BatchProcessor, Job
from glassbox.serving._errors import AUDIT_ERROR, OVERLOADED, SHUTTING_DOWN, RequestError
from glassbox.serving._settings import BatchingSettings
from glassbox.serving._wal import AuditWriteError

log = logging.getLogger("glassbox.serving")

DurableHook = Callable[[BatchOutcome, float], None]


class MicroBatcher:
    def __init__(
        self,
        processor: BatchProcessor,
        settings: BatchingSettings,
        executor: Executor,
        on_durable: DurableHook | None = None,
    ) -> None:
        self.processor = processor
        self.settings = settings
        self._executor = executor
        self._on_durable = on_durable
        self._queue: deque[Job] = deque()
        self._queued_rows = 0
        self._wakeup = asyncio.Event()
        self._busy = False
        self._completions: set[asyncio.Task[None]] = set()
        self._task: asyncio.Task[None] | None = None
        self.closing = False
        self.receiving = 0  # requests being read that will be submitted soon
        self.in_flight = 0  # requests received and not answered yet (any stage)
        self.batches = 0

    @property
    def queued_rows(self) -> int:
        return self._queued_rows

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="glassbox-batcher")

    def submit(self, job: Job) -> None:
        """Queue a job (its future completes with a ``JobResult`` or a ``RequestError``)."""
        if self.closing:
            raise RequestError(
                503,
                "shutting_down",
                "the server is shutting down; retry on another replica",
                error_type=SHUTTING_DOWN,
                headers={"Retry-After": "1"},
            )
        if self._queued_rows and self._queued_rows + job.records.n > self.settings.max_queue_rows:
            raise RequestError(
                503,
                "overloaded",
                f"{self._queued_rows} rows are already waiting for the model (limit "
                f"{self.settings.max_queue_rows}); retry shortly",
                error_type=OVERLOADED,
                headers={"Retry-After": "1"},
            )
        self._queue.append(job)
        self._queued_rows += job.records.n
        self._wakeup.set()

    def _take(self, batch: list[Job], rows: int) -> int:
        while self._queue:
            job = self._queue[0]
            first = batch[0] if batch else job
            if job.model is not first.model or job.monitored != first.monitored:
                break
            if batch and rows + job.records.n > self.settings.max_rows:
                break
            self._queue.popleft()
            self._queued_rows -= job.records.n
            batch.append(job)
            rows += job.records.n
        return rows

    async def _collect(self) -> list[Job]:
        while not self._queue:
            self._wakeup.clear()
            await self._wakeup.wait()
        batch: list[Job] = []
        rows = self._take(batch, 0)
        deadline = time.perf_counter() + self.settings.max_wait_ms / 1000.0
        while rows < self.settings.max_rows and self._expecting(batch) and not self._queue:
            left = deadline - time.perf_counter()
            if left <= 0:
                break
            self._wakeup.clear()
            try:
                await asyncio.wait_for(self._wakeup.wait(), left)
            except TimeoutError:
                break
            rows = self._take(batch, rows)
        return batch

    def _expecting(self, batch: list[Job]) -> bool:
        """Are more requests about to join? Some are being read, or some callers are still
        waiting for an earlier batch's answer (under steady load they send their next request
        right after it): worth waiting ``max_wait_ms`` for, since a model call costs the same
        for one request or many. A lone request never waits."""
        return self.receiving > 0 or self.in_flight > len(batch)

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            batch = await self._collect()
            self._busy = True
            try:
                if self.settings.model_thread:
                    outcome = await loop.run_in_executor(
                        self._executor, self.processor.process, batch
                    )
                else:
                    outcome = self.processor.process(batch)
            except Exception as exc:  # a bug, not the model: fail the batch, keep serving
                log.exception("batch processing failed")
                error = RequestError(
                    500,
                    "internal_error",
                    f"batch failed ({type(exc).__name__})",
                    error_type="model_error",
                )
                outcome = BatchOutcome(batch, None, error)
            finally:
                self._busy = False
            self.batches += 1
            self._complete(outcome)

    def _complete(self, outcome: BatchOutcome) -> None:
        if outcome.error is not None or outcome.results is None:
            for job in outcome.jobs:
                if not job.future.done():
                    job.future.set_exception(outcome.error or RuntimeError("no result"))
            return
        task = asyncio.get_running_loop().create_task(self._when_durable(outcome))
        self._completions.add(task)
        task.add_done_callback(self._completions.discard)

    async def _when_durable(self, outcome: BatchOutcome) -> None:
        start = time.perf_counter()
        try:
            await asyncio.gather(*(asyncio.wrap_future(f) for f in outcome.durable))
        except AuditWriteError as exc:
            error = RequestError(
                503,
                "audit_unavailable",
                f"the prediction could not be recorded durably ({exc}); nothing was returned",
                error_type=AUDIT_ERROR,
                headers={"Retry-After": "1"},
            )
            for job in outcome.jobs:
                if not job.future.done():
                    job.future.set_exception(error)
            return
        seconds = time.perf_counter() - start
        assert outcome.results is not None
        for job, result in zip(outcome.jobs, outcome.results, strict=True):
            if not job.future.done():
                job.future.set_result(result)
        if self._on_durable is not None:
            self._on_durable(outcome, seconds)

    async def drain(self, timeout: float) -> bool:
        """Refuse new jobs, finish the queued ones; True if everything completed in time."""
        self.closing = True
        self._wakeup.set()
        try:
            await asyncio.wait_for(self._idle_all(), timeout)
        except TimeoutError:
            return False
        return True

    async def _idle_all(self) -> None:
        while self._queue or self._busy or self._completions:
            await asyncio.sleep(0.01)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
