"""log_audit / load_audit_tables against a real MLflow (SQLite file + local artifacts)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from glassbox.audit import (
    AuditBatch,
    AuditError,
    find_record,
    load_audit_tables,
    log_audit,
    verify_chain,
)

from .helpers import FEATURES, audit_of, make_batch


@pytest.fixture
def mlflow_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    import mlflow

    previous = mlflow.get_tracking_uri()
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    mlflow.set_tracking_uri(f"sqlite:///{tmp_path}/mlflow.db")
    for name in ("scoring", "training"):
        mlflow.create_experiment(name, artifact_location=(tmp_path / name).as_uri())
    try:
        yield mlflow
    finally:
        while mlflow.active_run() is not None:
            mlflow.end_run()
        mlflow.set_tracking_uri(previous)


def score_run(
    mlflow: Any, batch: AuditBatch, experiment: str = "scoring", step: str = "score"
) -> str:
    mlflow.set_experiment(experiment)
    with mlflow.start_run(tags={"glassbox.step": step}) as run:
        log_audit(batch.table, batch.manifest)
    return str(run.info.run_id)


def test_log_audit_writes_artifacts_and_tags_on_the_active_run(
    mlflow_store: Any, audited: AuditBatch
) -> None:
    run_id = score_run(mlflow_store, audited)
    client = mlflow_store.MlflowClient()
    tags = client.get_run(run_id).data.tags
    assert tags["glassbox.audit.root"] == audited.manifest.root
    assert tags["glassbox.audit.count"] == "12"
    assert tags["glassbox.audit.hash_alg"] == "sha256"
    files = sorted(a.path for a in client.list_artifacts(run_id, "audit"))
    assert files == ["audit/audit_manifest.json", "audit/audit_table.parquet"]
    local = Path(mlflow_store.artifacts.download_artifacts(run_id=run_id, artifact_path="audit"))
    assert json.loads((local / "audit_manifest.json").read_text())["root"] == audited.manifest.root
    assert not set(FEATURES) & set(pd.read_parquet(local / "audit_table.parquet").columns)


def test_load_audit_tables_finds_score_runs_only_and_their_audits_verify(
    mlflow_store: Any, audited: AuditBatch, scored: tuple[pd.DataFrame, pd.DataFrame]
) -> None:
    first = score_run(mlflow_store, audited)
    second_batch = audit_of(*make_batch(rows=5, seed=3), batch_id="wf-uid-2/score")
    second = score_run(mlflow_store, second_batch)
    score_run(mlflow_store, audited, experiment="training", step="evaluate")
    with mlflow_store.start_run(tags={"glassbox.step": "score"}):  # a score run without audit
        pass
    loaded = load_audit_tables()
    assert [run_id for run_id, _, _ in loaded] == [first, second]
    for _, table, manifest in loaded:
        assert verify_chain(table, manifest).ok
    _, table, manifest = loaded[0]
    assert manifest == audited.manifest
    pd.testing.assert_frame_equal(table, audited.table, check_dtype=False)
    batch, _ = scored
    row = batch.iloc[1]
    match = find_record({c: row[c] for c in FEATURES}, row["id"], row["timestamp"], loaded)
    assert match.location is not None
    assert (match.location.source, match.location.seq) == (first, 1)
    assert [r for r, _, _ in load_audit_tables(experiment_names=["training"])] == []
    assert [r for r, _, _ in load_audit_tables(run_ids=[second])] == [second]


def test_an_artifact_changed_after_logging_is_refused(
    mlflow_store: Any, audited: AuditBatch
) -> None:
    run_id = score_run(mlflow_store, audited)
    mlflow_store.MlflowClient().set_tag(run_id, "glassbox.audit.root", "0" * 64)
    with pytest.raises(AuditError, match=f"run {run_id}: audit manifest .* disagrees with the run"):
        load_audit_tables(run_ids=[run_id])


def test_bad_requests_raise_naming_the_run_or_experiment(
    mlflow_store: Any, audited: AuditBatch
) -> None:
    with pytest.raises(AuditError, match="log_audit: no active MLflow run"):
        log_audit(audited.table, audited.manifest)
    with pytest.raises(AuditError, match="expected exactly the columns"):
        log_audit(audited.table.assign(car_value=1.0), audited.manifest)
    with pytest.raises(AuditError, match="experiment 'nope' not found"):
        load_audit_tables(experiment_names=["nope"])
    with pytest.raises(AuditError, match="run deadbeef: not found"):
        load_audit_tables(run_ids=["deadbeef"])
    mlflow_store.set_experiment("scoring")
    with mlflow_store.start_run(tags={"glassbox.step": "score"}) as run:
        pass
    with pytest.raises(AuditError, match=f"run {run.info.run_id}: has no audit"):
        load_audit_tables(run_ids=[run.info.run_id])
