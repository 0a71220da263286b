"""Feedback latency observed by the cron when the targets have no arrival time: the ledger of
predictions waiting for their label, on the history run of a real (SQLite) MLflow store."""

from __future__ import annotations

from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest

from glassbox.cron import Window, history, record_label_arrivals

DAY = 86_400.0


@pytest.fixture
def store(tmp_path: Path) -> str:
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    mlflow.set_tracking_uri(uri)
    yield mlflow.MlflowClient().create_experiment("m", artifact_location=str(tmp_path / "a"))
    mlflow.set_tracking_uri(None)


def _window(experiment: str, ids: range, scored: str, labelled: list[int]) -> Window:
    start = int(pd.Timestamp(scored).value // 1_000_000)
    run = mlflow.MlflowClient().create_run(experiment, start_time=start).info.run_id
    frame = pd.DataFrame({"id": list(ids), "score_run_id": run})
    return Window(frame, [run], None, np.array(labelled))


def test_labels_are_timed_from_scoring_to_the_run_that_first_saw_them(store: str) -> None:
    hist = history(store, "m")
    first = _window(store, range(100), "2024-01-01", labelled=list(range(40)))
    got = record_label_arrivals(hist, first, "id", now="2024-01-02")
    assert got.latency_seconds.tolist() == [DAY] * 40
    assert (got.late, got.pending, got.expired) == (0, 60, 0)
    # Next run: 30 more labels of the first window's predictions arrive (late), and 10 of the
    # new window's; the 40 already seen are not counted again.
    second = _window(store, range(100, 150), "2024-01-02", labelled=[*range(70), *range(100, 110)])
    got = record_label_arrivals(hist, second, "id", now="2024-01-04")
    assert sorted(got.latency_seconds.tolist()) == [2 * DAY] * 10 + [3 * DAY] * 30
    assert (got.late, got.pending, got.expired) == (30, 70, 0)
    metrics = got.metrics()
    assert metrics["labels.latency_seconds.p50"] == 3 * DAY
    assert metrics["labels.late_arrived"] == 30 and metrics["labels.first_seen"] == 40
    assert got.tags()["glassbox.labels.latency_source"].startswith("observed by the cron")


def test_predictions_waiting_longer_than_the_limit_are_given_up(store: str) -> None:
    hist = history(store, "m")
    record_label_arrivals(hist, _window(store, range(10), "2024-01-01", []), "id", now="2024-01-02")
    empty = Window(pd.DataFrame(), [], None, np.array([3]))
    got = record_label_arrivals(hist, empty, "id", max_wait_days=30, now="2024-03-01")
    assert got.latency_seconds.tolist() == [60 * DAY]  # id 3, seen on the next run
    assert (got.late, got.pending, got.expired) == (1, 0, 9)
    again = record_label_arrivals(hist, empty, "id", max_wait_days=30, now="2024-03-02")
    assert (again.latency_seconds.size, again.pending, again.expired) == (0, 0, 0)
    assert "labels.latency_seconds.p50" not in again.metrics()
