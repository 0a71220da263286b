"""log_segment / load_segment_tables on a real MLflow (SQLite file + local artifacts): segments
are logged in order, anchored by the run's tags, and a changed artifact is refused."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from glassbox.audit import (
    AuditError,
    RunningChain,
    find_record,
    load_segment_tables,
    log_segment,
    segment_batch_id,
    table_of,
    verify_chain,
)

from .helpers import MODEL
from .test_running import FEATURES, columns, outputs, stamps


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """One store for the module (creating a SQLite store costs seconds); one run per test."""
    import mlflow

    tmp = tmp_path_factory.mktemp("segments")
    previous = mlflow.get_tracking_uri()
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("MLFLOW_TRACKING_URI", raising=False)
        mlflow.set_tracking_uri(f"sqlite:///{tmp}/mlflow.db")
        for name in ("serving", "serving-clean"):
            mlflow.create_experiment(name, artifact_location=(tmp / name).as_uri())
        try:
            yield mlflow
        finally:
            mlflow.set_tracking_uri(previous)


def segment(run_id: str, index: int, n: int) -> tuple[Any, Any]:
    chain = RunningChain(segment_batch_id(run_id, index), MODEL)
    rows = chain.extend(
        columns(n, index), [f"{index}-{i}" for i in range(n)], stamps(n), outputs(n)
    )
    return table_of(rows, MODEL, chain.hash_alg), chain.manifest(tuple(FEATURES))


def new_run(mlflow: Any, experiment_name: str = "serving") -> str:
    client = mlflow.MlflowClient()
    experiment = client.get_experiment_by_name(experiment_name).experiment_id
    return str(client.create_run(experiment, tags={"glassbox.run_kind": "serving"}).info.run_id)


def test_segments_are_logged_in_order_and_load_back_verified(store: Any) -> None:
    run_id = new_run(store)
    for index, n in ((1, 3), (2, 5)):
        log_segment(run_id, index, *segment(run_id, index, n))
    tags = store.MlflowClient().get_run(run_id).data.tags
    assert (tags["glassbox.audit.segments.count"], tags["glassbox.audit.segments.records"]) == (
        "2",
        "8",
    )
    found = load_segment_tables(run_ids=[run_id])
    assert [label for label, _, _ in found] == [
        f"{run_id}/segment-000001",
        f"{run_id}/segment-000002",
    ]
    for _, table, manifest in found:
        assert verify_chain(table, manifest).ok
    match = find_record(
        {name: values[0] for name, values in columns(5, 2).items()},
        "2-0",
        stamps(1)[0],
        found,
    )
    assert match.recorded, match.describe()
    assert match.location is not None and match.location.source.endswith("segment-000002")


def test_logging_a_segment_again_is_idempotent_and_a_gap_is_refused(store: Any) -> None:
    run_id = new_run(store)
    first = segment(run_id, 1, 2)
    log_segment(run_id, 1, *first)
    log_segment(run_id, 1, *first)  # a crash between upload and tags: logged again, no-op
    assert store.MlflowClient().get_run(run_id).data.tags["glassbox.audit.segments.count"] == "1"
    with pytest.raises(AuditError, match="segment 3 cannot follow 1 logged"):
        log_segment(run_id, 3, *segment(run_id, 3, 2))
    with pytest.raises(AuditError, match="batch_id"):
        log_segment(run_id, 2, *segment("another-run", 2, 2))


def test_a_segment_removed_after_logging_is_detected(store: Any) -> None:
    run_id = new_run(store)
    for index in (1, 2, 3):
        log_segment(run_id, index, *segment(run_id, index, 2))
    artifacts = Path(store.get_run(run_id).info.artifact_uri.removeprefix("file://"))
    shutil.rmtree(artifacts / "audit" / "segments" / "000002")
    with pytest.raises(AuditError, match=r"say 3 segment\(s\).*hold segment\(s\) \[1, 3\]"):
        load_segment_tables(run_ids=[run_id])


def test_a_replaced_segment_is_detected_by_the_anchor(store: Any) -> None:
    run_id = new_run(store)
    for index in (1, 2):
        log_segment(run_id, index, *segment(run_id, index, 3))
    # rewrite the last segment consistently (table + manifest) with other records
    table, manifest = segment(run_id, 2, 4)
    artifacts = Path(store.get_run(run_id).info.artifact_uri.removeprefix("file://"))
    folder = artifacts / "audit" / "segments" / "000002"
    table.to_parquet(folder / "audit_table.parquet", index=False)
    (folder / "audit_manifest.json").write_text(manifest.to_json())
    with pytest.raises(AuditError, match="the artifacts were changed"):
        load_segment_tables(run_ids=[run_id])


def test_a_run_without_segments_is_refused_by_id(store: Any) -> None:
    run_id = new_run(store)
    with pytest.raises(AuditError, match="has no audit segments"):
        load_segment_tables(run_ids=[run_id])


def test_every_serving_run_of_an_experiment_is_found(store: Any) -> None:
    runs = [new_run(store, "serving-clean") for _ in range(2)]
    for run_id in runs:
        log_segment(run_id, 1, *segment(run_id, 1, 2))
    new_run(store, "serving-clean")  # a serving run that logged nothing yet is skipped
    labels = [label for label, _, _ in load_segment_tables(["serving-clean"])]
    assert labels == [f"{r}/segment-000001" for r in runs]
