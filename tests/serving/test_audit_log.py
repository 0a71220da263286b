"""The online audit log: group commit, rotation into segments, recovery after a crash."""

from __future__ import annotations

import concurrent.futures
import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from glassbox.audit import AuditManifest, ModelIdentity, verify_chain
from glassbox.serving import AuditLogSettings
from glassbox.serving._segment_files import (
    CLOSED,
    MANIFEST,
    REQUESTS,
    WAL,
    all_segments,
    finalize,
    read_lines,
    recover,
)
from glassbox.serving._wal import AuditLog

MODEL = ModelIdentity("car-loan-default", "1", "ab" * 32)
OTHER = ModelIdentity("car-loan-default", "2", "cd" * 32)


def batch(n: int, tag: str) -> dict[str, object]:
    rng = np.random.default_rng(len(tag) + n)
    proba = rng.uniform(0, 1, n)
    return {
        "features": {"car_value": rng.uniform(1e3, 9e4, n), "loan_length": np.full(n, 12.0)},
        "ids": [f"{tag}-{i}" for i in range(n)],
        "stamps": np.full(n, np.datetime64("2025-01-02T03:04:05.678901", "us")),
        "predictions": {"y_pred": (proba > 0.5).astype(np.int64), "y_pred_proba": proba},
        "callers": ["c0ffee"] * n,
        "request_ids": [tag] * n,
    }


def open_log(root: Path, closed: list[Path], **settings: object) -> AuditLog:
    return AuditLog(
        root,
        "run-1",
        settings=AuditLogSettings(**settings),
        key=None,  # type: ignore[arg-type]
        on_closed=closed.append,
    )


def test_appended_batches_become_durable_and_one_verifiable_segment(tmp_path: Path) -> None:
    closed: list[Path] = []
    log = open_log(tmp_path, closed)
    sizes = (1, 3, 2, 70)  # 70: the log line's ids, callers and requests encoded meanwhile
    futures = [log.append(MODEL, **batch(n, f"b{n}"))[1] for n in sizes]  # type: ignore[arg-type]
    concurrent.futures.wait(futures, timeout=30)
    assert all(f.result() >= 0 for f in futures)
    assert log.groups_committed >= 1
    log.close()
    assert len(closed) == 1 and (closed[0] / CLOSED).exists()
    table, manifest, problems = finalize(closed[0], None)
    assert problems == []
    assert len(table) == sum(sizes) and manifest.batch_id == "run-1/segment-000001"
    assert verify_chain(table, AuditManifest.from_json((closed[0] / MANIFEST).read_text())).ok
    requests = pd.read_parquet(closed[0] / REQUESTS)
    assert requests["caller_hash"].unique().tolist() == ["c0ffee"]
    assert "car_value" not in table.columns and "car_value" not in requests.columns


def test_segments_rotate_by_count_and_on_a_model_change(tmp_path: Path) -> None:
    closed: list[Path] = []
    log = open_log(tmp_path, closed, segment_max_records=4)
    for i in range(3):
        log.append(MODEL, **batch(2, f"m{i}"))  # type: ignore[arg-type]
    log.append(OTHER, **batch(1, "o"))  # type: ignore[arg-type]
    log.close()
    counts = [len(read_lines(folder)[0]) for folder in closed]
    assert [f.name for f in closed] == ["000001", "000002", "000003"]
    assert counts == [2, 1, 1]  # 2+2 rows, then 2, then the other model's 1
    headers = [json.loads((f / "header.json").read_text())["model"]["version"] for f in closed]
    assert headers == ["1", "1", "2"]


def test_an_idle_old_segment_is_closed_by_the_tick(tmp_path: Path) -> None:
    now = [1000.0]
    closed: list[Path] = []
    log = AuditLog(
        tmp_path,
        "run-1",
        settings=AuditLogSettings(segment_max_seconds=60),
        key=None,
        on_closed=closed.append,
        clock=lambda: now[0],
    )
    log.append(MODEL, **batch(1, "a"))[1].result(timeout=30)  # type: ignore[arg-type]
    log.tick()
    now[0] += 61
    log.tick()
    log.close()
    assert [f.name for f in closed] == ["000001"]


def crashed_copy(log_root: Path, into: Path) -> Path:
    """The open segment as a SIGKILL would leave it: header and log, not closed."""
    folder = all_segments(log_root)[0]
    target = into / "segments" / "run-1" / folder.name
    target.mkdir(parents=True)
    for name in ("header.json", WAL):
        shutil.copy2(folder / name, target / name)
    return target


def test_recovery_cuts_a_torn_last_line_and_keeps_every_complete_one(tmp_path: Path) -> None:
    closed: list[Path] = []
    log = open_log(tmp_path / "live", closed)
    for i in range(3):
        log.append(MODEL, **batch(2, f"r{i}"))[1].result(timeout=30)  # type: ignore[arg-type]
    folder = crashed_copy(tmp_path / "live", tmp_path / "after-crash")
    log.close()
    with (folder / WAL).open("ab") as handle:
        handle.write(b'[6,["torn"')  # a write cut short by the crash
    assert recover(folder)
    lines, good, size = read_lines(folder)
    assert (len(lines), good == size) == (3, True)
    table, _, problems = finalize(folder, None)
    assert problems == [] and table["prediction_id"].tolist()[-1] == "r2-1"
    assert recover(folder)  # recovering twice changes nothing


def test_an_open_segment_without_a_complete_line_is_removed(tmp_path: Path) -> None:
    closed: list[Path] = []
    log = open_log(tmp_path / "live", closed)
    log.append(MODEL, **batch(1, "x"))[1].result(timeout=30)  # type: ignore[arg-type]
    folder = crashed_copy(tmp_path / "live", tmp_path / "after-crash")
    log.close()
    (folder / WAL).write_bytes(b'[0,["half')
    assert not recover(folder)
    assert not folder.exists()


def test_a_failed_write_fails_its_requests_and_the_next_batch_opens_a_new_segment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    closed: list[Path] = []
    log = open_log(tmp_path, closed)
    log.append(MODEL, **batch(1, "ok"))[1].result(timeout=30)  # type: ignore[arg-type]
    real_write = os.writev
    monkeypatch.setattr(
        os, "writev", lambda fd, data: (_ for _ in ()).throw(OSError(28, "No space"))
    )
    failed = log.append(MODEL, **batch(1, "full"))[1]  # type: ignore[arg-type]
    with pytest.raises(Exception, match="No space"):
        failed.result(timeout=30)
    monkeypatch.setattr(os, "writev", real_write)
    log.append(MODEL, **batch(1, "later"))[1].result(timeout=30)  # type: ignore[arg-type]
    log.close()
    names = [f.name for f in all_segments(tmp_path)]
    assert names == ["000001", "000002"]
    for folder in all_segments(tmp_path):
        _, _, problems = finalize(folder, None)
        assert problems == []
    first = [line.ids for line in read_lines(all_segments(tmp_path)[0])[0]]
    assert first == [["ok-0"]]  # the failed record is nowhere: it was never acknowledged
