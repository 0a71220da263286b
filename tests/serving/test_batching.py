"""Micro-batching: concurrent requests share one model call, predictions are the unbatched ones,
every record is audited, failures stay with their batch."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from glassbox.serving import (
    AuditLogSettings,
    BatchingSettings,
    FaultSettings,
    Job,
    JobResult,
    RequestError,
    ServedModel,
)
from glassbox.serving._batch import BatchProcessor
from glassbox.serving._batcher import MicroBatcher
from glassbox.serving._segment_files import all_segments, finalize
from glassbox.serving._wal import AuditLog

from ._toy import record, served

MODEL = served()


def run(
    scenario: Callable[[MicroBatcher, list[list[Job]]], Awaitable[Any]], tmp: Path, **batching: Any
) -> tuple[Any, list[list[Job]], AuditLog]:
    """Run ``scenario`` against a batcher whose batches are recorded (jobs per batch)."""
    batches: list[list[Job]] = []

    async def main() -> Any:
        log = AuditLog(
            tmp, "run-1", settings=AuditLogSettings(), key=None, on_closed=lambda _: None
        )
        processor = BatchProcessor(log, FaultSettings(**batching.pop("faults", {})))
        processor.add_hook(lambda model, frame, proba, jobs: batches.append(list(jobs)))
        batcher = MicroBatcher(processor, BatchingSettings(**batching), executor=None)  # type: ignore[arg-type]
        batcher.start()
        try:
            return await scenario(batcher, batches), log
        finally:
            await batcher.drain(30)
            await batcher.stop()
            log.close()

    result, log = asyncio.run(main())
    return result, batches, log


def job(model: ServedModel, records: list[dict[str, Any]], request_id: str) -> Job:
    return Job(
        model,
        model.schema.validate(records, request_id),
        np.datetime64(time.time_ns() // 1000, "us"),
        "caller",
        request_id,
        asyncio.get_running_loop().create_future(),
    )


def test_concurrent_requests_share_a_model_call_and_get_the_unbatched_predictions(
    tmp_path: Path,
) -> None:
    requests = [[record(i)] for i in range(12)] + [[record(i) for i in range(20, 27)]]

    async def scenario(batcher: MicroBatcher, batches: list[list[Job]]) -> list[JobResult]:
        jobs = [job(MODEL, recs, f"r{i}") for i, recs in enumerate(requests)]
        for j in jobs:
            batcher.submit(j)
        return list(await asyncio.gather(*(j.future for j in jobs)))

    results, batches, _ = run(scenario, tmp_path)
    assert len(batches) == 1 and results[0].batch_rows == 19  # one model call for everything
    for recs, result in zip(requests, results, strict=True):
        frame = pd.DataFrame(MODEL.schema.validate(recs, "x").columns)
        unbatched = np.array([MODEL.predict_proba(frame.iloc[[i]])[0] for i in range(len(frame))])
        assert np.array_equal(result.proba, unbatched)
        assert result.label.tolist() == (unbatched >= 0.5).astype(int).tolist()
        assert len(result.hashes) == len(recs)


def test_batches_stop_at_max_rows_and_every_record_is_audited_once(tmp_path: Path) -> None:
    async def scenario(batcher: MicroBatcher, batches: list[list[Job]]) -> list[JobResult]:
        jobs = [job(MODEL, [record(i), record(i + 1)], f"r{i}") for i in range(10)]
        for j in jobs:
            batcher.submit(j)
        return list(await asyncio.gather(*(j.future for j in jobs)))

    results, batches, _ = run(scenario, tmp_path, max_rows=6)
    assert [sum(j.records.n for j in b) for b in batches] == [6, 6, 6, 2]
    table, manifest, problems = finalize(all_segments(tmp_path)[0], None)
    assert problems == [] and manifest.count == 20
    assert sorted(table["record_hash"]) == sorted(h for r in results for h in r.hashes)
    assert table["prediction_id"].tolist() == [f"r{i}-{k}" for i in range(10) for k in (0, 1)]


def test_a_failing_model_fails_its_batch_only(tmp_path: Path) -> None:
    async def scenario(batcher: MicroBatcher, batches: list[list[Job]]) -> list[Any]:
        first = job(MODEL, [record(0)], "a")
        batcher.submit(first)
        with pytest.raises(RequestError) as caught:
            await first.future
        batcher.processor.faults = FaultSettings()  # the model recovers
        second = job(MODEL, [record(1)], "b")
        batcher.submit(second)
        return [caught.value, await second.future]

    (error, ok), _, _ = run(scenario, tmp_path, faults={"error_rate": 1.0})
    assert (error.status, error.code, error.error_type) == (500, "model_error", "model_error")
    assert "Traceback" not in error.message
    assert ok.proba.shape == (1,)


def test_a_full_queue_answers_overloaded(tmp_path: Path) -> None:
    async def scenario(batcher: MicroBatcher, batches: list[list[Job]]) -> RequestError:
        batcher.submit(job(MODEL, [record(i) for i in range(5)], "a"))
        with pytest.raises(RequestError) as caught:
            batcher.submit(job(MODEL, [record(i) for i in range(5)], "b"))
        return caught.value

    error, _, _ = run(scenario, tmp_path, max_queue_rows=8)
    assert (error.status, error.code, error.headers) == (503, "overloaded", {"Retry-After": "1"})


def test_requests_of_two_model_versions_are_never_mixed_in_a_batch(tmp_path: Path) -> None:
    other = served(version="2")

    async def scenario(batcher: MicroBatcher, batches: list[list[Job]]) -> list[JobResult]:
        jobs = [job(MODEL if i % 2 else other, [record(i)], f"r{i}") for i in range(6)]
        for j in jobs:
            batcher.submit(j)
        return list(await asyncio.gather(*(j.future for j in jobs)))

    results, batches, _ = run(scenario, tmp_path)
    for b in batches:
        assert len({j.model.ref.version for j in b}) == 1
    assert [r.model.ref.version for r in results] == ["2", "1"] * 3


def test_a_draining_batcher_refuses_new_requests(tmp_path: Path) -> None:
    async def scenario(batcher: MicroBatcher, batches: list[list[Job]]) -> RequestError:
        await batcher.drain(5)
        with pytest.raises(RequestError) as caught:
            batcher.submit(job(MODEL, [record(0)], "late"))
        return caught.value

    error, _, _ = run(scenario, tmp_path)
    assert (error.status, error.code) == (503, "shutting_down")
