"""Shadow mode, in process: every answered prediction is scored by the challenger on a worker
thread and written as a ShadowRecord the canary analysis reads; a full queue drops and counts
instead of waiting; a failing or incompatible challenger never touches the champion's answers;
the challenger alias is followed, including its removal; closed files go to the serving run."""

from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from glassbox.delivery import read_shadow_log
from glassbox.serving import (
    AuditLogSettings,
    BatchingSettings,
    FaultSettings,
    Job,
    JobResult,
    ServingSettings,
    VersionRef,
)
from glassbox.serving import _model as model_module
from glassbox.serving._batch import BatchOutcome, BatchProcessor
from glassbox.serving._batcher import MicroBatcher
from glassbox.serving._follow import AliasFollower
from glassbox.serving._metrics import ServingMetrics
from glassbox.serving._settings import ShadowSettings
from glassbox.serving._shadow import ShadowScorer
from glassbox.serving._shadow_files import ShadowUploader, logged_names
from glassbox.serving._wal import AuditLog
from tests.integration._serve import metric_value

from ._toy import record, served

CHAMPION = served("1", seed=3)
CHALLENGER = served("2", seed=5)


def scorer(tmp: Path, closed: list[Path] | None = None, **settings: Any) -> ShadowScorer:
    found: list[Path] = [] if closed is None else closed
    shadow = ShadowScorer(
        ShadowSettings(**settings), tmp / "shadow" / "run-1", ServingMetrics(), 1, found.append
    )
    shadow.start()
    return shadow


def serve_requests(
    tmp: Path, shadow: ShadowScorer, requests: list[list[dict[str, Any]]]
) -> list[JobResult]:
    """Real micro-batching and audit; durable batches offered to the shadow (as the server)."""

    async def main() -> list[JobResult]:
        log = AuditLog(tmp / "audit", "run-1", settings=AuditLogSettings(), key=None,
                       on_closed=lambda _: None)  # fmt: skip
        processor = BatchProcessor(log, FaultSettings())
        batcher = MicroBatcher(
            processor,
            BatchingSettings(max_rows=16),
            executor=None,  # type: ignore[arg-type]
            on_durable=lambda outcome, _s: shadow.offer(outcome),
        )
        batcher.start()
        loop = asyncio.get_running_loop()
        jobs = [
            Job(CHAMPION, CHAMPION.schema.validate(recs, f"req-{i}"),
                np.datetime64(time.time_ns() // 1000, "us"), "caller", f"req-{i}",
                loop.create_future())
            for i, recs in enumerate(requests)
        ]  # fmt: skip
        for job in jobs:
            batcher.submit(job)
        results = list(await asyncio.gather(*(j.future for j in jobs)))
        await batcher.drain(30)
        await batcher.stop()
        log.close()
        return results

    return asyncio.run(main())


def requests_of(n: int, size: int = 3) -> list[list[dict[str, Any]]]:
    return [[record(i * size + k) | {"id": f"p-{i}-{k}"} for k in range(size)] for i in range(n)]


def test_every_answered_prediction_gets_a_record_of_both_models(tmp_path: Path) -> None:
    closed: list[Path] = []
    shadow = scorer(tmp_path, closed, file_max_records=20)
    shadow.set_challenger(CHALLENGER)
    requests = requests_of(15)
    results = serve_requests(tmp_path, shadow, requests)
    assert shadow.close(30)
    log = read_shadow_log([tmp_path / "shadow"])
    assert len(log) == 45 and shadow.stats.records == 45 and shadow.stats.dropped == 0
    files = sorted((tmp_path / "shadow" / "run-1").glob("*.jsonl"))
    assert closed == files and len(files) >= 2  # closed at >= 20 records (whole batches)
    assert all(len(f.read_text().splitlines()) >= 20 for f in files[:-1])
    frame = log.frame.set_index("id")
    answered = {f"p-{i}-{k}": result.proba[k] for i, result in enumerate(results) for k in range(3)}
    assert set(frame.index) == set(answered)
    np.testing.assert_allclose(frame.loc[list(answered), "champion_proba"], list(answered.values()))
    rows = pd.DataFrame([r for recs in requests for r in recs]).set_index("id")
    expected = CHALLENGER.predict_proba(_frame(rows))
    np.testing.assert_allclose(frame.loc[rows.index, "challenger_proba"], expected, rtol=1e-12)
    assert set(log.pairs()) == {("1", "2")}
    assert frame["request_id"].str.startswith("req-").all()
    assert (frame["champion_latency_seconds"] >= 0).all()
    assert (frame["challenger_latency_seconds"] > 0).all()


def _frame(rows: pd.DataFrame) -> pd.DataFrame:
    """The request rows as the model is fed them (what the served contract produces)."""
    records = CHAMPION.schema.validate(rows.reset_index().to_dict("records"), "x")
    return pd.DataFrame({name: records.columns[name] for name in CHAMPION.features})


class Blocking:
    """A challenger whose model call waits for ``release`` (a slow model)."""

    def __init__(self, model: Any, release: threading.Event, fail: bool = False) -> None:
        self._model, self.release, self.fail = model, release, fail
        self.ref, self.features = model.ref, model.features
        self.label_threshold = model.label_threshold

    def predict_proba(self, frame: pd.DataFrame) -> np.ndarray:
        self.release.wait(30)
        if self.fail:
            raise RuntimeError("challenger broke")
        return self._model.predict_proba(frame)

    def info(self) -> dict[str, str]:
        return self._model.info()


def test_a_full_queue_drops_and_counts_instead_of_slowing_the_champion(tmp_path: Path) -> None:
    release = threading.Event()
    shadow = scorer(tmp_path, max_queue_rows=9)
    shadow.set_challenger(Blocking(CHALLENGER, release))  # type: ignore[arg-type]
    started = time.perf_counter()
    results = serve_requests(tmp_path, shadow, requests_of(20))
    assert time.perf_counter() - started < 25  # answered while the challenger was stuck
    assert len(results) == 20 and shadow.stats.dropped > 0
    release.set()
    assert shadow.close(30)
    written = len(read_shadow_log([tmp_path / "shadow"]))
    assert written + shadow.stats.dropped == 60 and written == shadow.stats.records
    text = shadow.metrics.exposition().decode()
    assert metric_value(text, "glassbox_serving_shadow_dropped_total", model_version="2",
                        reason="queue_full") == shadow.stats.dropped  # fmt: skip
    assert metric_value(text, "glassbox_serving_shadow_records_total", status="ok") == written


def test_a_failing_challenger_is_recorded_as_errors_and_the_champion_answers(
    tmp_path: Path,
) -> None:
    release = threading.Event()
    release.set()
    shadow = scorer(tmp_path)
    shadow.set_challenger(Blocking(CHALLENGER, release, fail=True))  # type: ignore[arg-type]
    results = serve_requests(tmp_path, shadow, requests_of(4))
    assert shadow.close(30) and all(r.proba.shape == (3,) for r in results)
    log = read_shadow_log([tmp_path / "shadow"]).frame
    assert len(log) == 12 and set(log["challenger_error"]) == {"model_error"}
    assert log["champion_proba"].notna().all() and log["challenger_proba"].isna().all()


@dataclass
class NeedsMore:
    ref: VersionRef
    features: tuple[str, ...] = ("car_value", "colour")
    label_threshold: float = 0.5

    def info(self) -> dict[str, str]:
        return {"name": self.ref.name, "version": self.ref.version}


def test_no_challenger_the_same_version_or_missing_columns_write_nothing(tmp_path: Path) -> None:
    shadow = scorer(tmp_path)
    serve_requests(tmp_path, shadow, requests_of(2))  # no challenger yet
    shadow.set_challenger(served("1", seed=3))  # promoted: the same version as the champion
    serve_requests(tmp_path, shadow, requests_of(2))
    needs = NeedsMore(VersionRef("car-loan-default", "4", "run-4", "f" * 64, "challenger"))
    shadow.set_challenger(needs)  # type: ignore[arg-type]
    serve_requests(tmp_path, shadow, requests_of(2))
    assert shadow.close(30)
    assert shadow.stats.records == 0 and shadow.stats.skipped_same_version == 6
    assert shadow.state == "incompatible" and "colour" in shadow.describe()["reason"]
    assert not list((tmp_path / "shadow").rglob("*.jsonl"))


def test_a_paused_shadow_offers_nothing_until_the_pause_ends(tmp_path: Path) -> None:
    shadow = scorer(tmp_path)
    shadow.set_challenger(CHALLENGER)
    shadow.pause(3600, "scale_down trigger")
    serve_requests(tmp_path, shadow, requests_of(2))
    assert shadow.describe()["state"] == "paused" and shadow.stats.records == 0
    shadow.paused_until = 0.0
    serve_requests(tmp_path, shadow, requests_of(2))
    assert shadow.close(30) and shadow.stats.records == 6


def test_the_challenger_alias_is_followed_and_its_removal_stops_the_shadow(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    alias: list[str | None] = ["2"]
    current: list[Any] = [None]

    def resolve(uri: str) -> VersionRef:
        if alias[0] is None:
            raise model_module.AliasNotSetError(f"model {uri}: no alias @challenger")
        return VersionRef("car-loan-default", alias[0], "r", "f" * 64, "challenger")

    monkeypatch.setattr(model_module, "resolve", resolve)
    monkeypatch.setattr(model_module, "load", lambda ref, settings: served(ref.version, seed=5))
    follower = AliasFollower(
        "models:/car-loan-default@challenger", ServingSettings(), lambda: current[0],
        lambda model: current.__setitem__(0, model), on_gone=lambda: current.__setitem__(0, None),
    )  # fmt: skip
    assert follower.check() is True and current[0].ref.version == "2"
    alias[0] = "3"
    assert follower.check() is True and current[0].ref.version == "3"
    alias[0] = None
    assert follower.check() is False and current[0] is None and follower.last_error is None
    assert follower.check() is False and current[0] is None  # stays quiet while unset


def test_closed_files_are_logged_to_the_serving_run_and_pruned(tmp_path: Path) -> None:
    import mlflow

    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    mlflow.set_tracking_uri(uri)
    try:
        client = mlflow.MlflowClient()
        experiment = client.create_experiment("s", artifact_location=(tmp_path / "a").as_uri())
        run = client.create_run(experiment).info.run_id
        root = tmp_path / "shadow"
        uploader = ShadowUploader(root, keep=1, retry_seconds=0.2)
        uploader.start()
        closed: list[Path] = []

        def notify(path: Path) -> None:
            closed.append(path)
            uploader.notify(path)

        shadow = ShadowScorer(
            ShadowSettings(file_max_records=6), root / run, ServingMetrics(), 1, notify
        )
        shadow.start()
        shadow.set_challenger(CHALLENGER)
        serve_requests(tmp_path, shadow, requests_of(6))
        assert shadow.close(30) and uploader.stop(30)
        names = [p.name for p in closed]
        assert len(names) >= 2 and names == sorted(names)
        logged = sorted(f.path for f in client.list_artifacts(run, "shadow"))
        assert logged == [f"shadow/{name}" for name in names]
        assert logged_names(root / run) == set(names)
        assert [p.name for p in (root / run).glob("*.jsonl")] == names[-1:]  # keep=1
    finally:
        mlflow.set_tracking_uri(None)


def test_an_unfinished_last_line_is_skipped_and_a_bad_line_is_not(tmp_path: Path) -> None:
    shadow = scorer(tmp_path)
    shadow.set_challenger(CHALLENGER)
    serve_requests(tmp_path, shadow, requests_of(2))
    assert shadow.close(30)
    (path,) = (tmp_path / "shadow").rglob("*.jsonl")
    whole = path.read_text()
    path.write_text(whole + whole.splitlines()[0][:40])  # a record being appended
    assert len(read_shadow_log([path])) == 6
    path.write_text(whole.splitlines()[0][:40] + "\n" + whole)
    with pytest.raises(Exception, match=r"000000\.jsonl:1: field 'record'"):
        read_shadow_log([path])


def test_the_outcome_carries_the_rows_and_the_model_cpu_time(tmp_path: Path) -> None:
    shadow = scorer(tmp_path)
    seen: list[BatchOutcome] = []
    shadow.offer = seen.append  # type: ignore[method-assign]
    serve_requests(tmp_path, shadow, requests_of(3))
    assert shadow.close(5)
    assert sum(len(o.frame) for o in seen if o.frame is not None) == 9
    assert all(o.model_cpu_seconds > 0 for o in seen)
    assert list(seen[0].frame.columns) == list(CHAMPION.features)  # type: ignore[union-attr]


def test_a_sample_rate_shadows_that_share_of_the_batches(tmp_path: Path) -> None:
    import random

    shadow = scorer(tmp_path, sample_rate=0.5)
    shadow._rng = random.Random(7)
    shadow.set_challenger(CHALLENGER)
    serve_requests(tmp_path, shadow, requests_of(40, size=1))
    assert shadow.close(30)
    assert shadow.stats.records + shadow.stats.not_sampled == 40
    assert 0 < shadow.stats.records < 40
    assert len(read_shadow_log([tmp_path / "shadow"])) == shadow.stats.records


def test_a_new_file_never_reuses_the_name_of_a_pruned_logged_one(tmp_path: Path) -> None:
    from glassbox.serving._shadow_files import LOGGED, ShadowFiles

    directory = tmp_path / "run-1"
    directory.mkdir()
    (directory / LOGGED).write_text("000000.jsonl\n000001.jsonl\n000002.jsonl\n")
    (directory / "000002.jsonl").write_text("")  # 000000 and 000001 were pruned
    closed: list[Path] = []
    files = ShadowFiles(directory, max_records=1, max_seconds=60, on_closed=closed.append)
    files.write(['{"a": 1}\n'])
    assert [p.name for p in closed] == ["000003.jsonl"]


def test_the_sklearn_thread_race_warning_is_dropped_and_no_other() -> None:
    import warnings

    from glassbox.serving._shadow import _RACE, _quiet_sklearn_thread_race

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _quiet_sklearn_thread_race()
        _quiet_sklearn_thread_race()  # once is enough: not wrapped twice
        warnings.warn(_RACE + " with `sklearn.utils.parallel.Parallel`", UserWarning, stacklevel=1)
        warnings.warn("something else", UserWarning, stacklevel=1)
        warnings.warn(_RACE, DeprecationWarning, stacklevel=1)
    assert [(str(w.message), w.category) for w in caught] == [
        ("something else", UserWarning),
        (_RACE, DeprecationWarning),
    ]
