"""`glassbox trace`: from a hash in an audit table to the commit and lock digest, in one call."""

from __future__ import annotations

import hashlib
import json
import subprocess

import pandas as pd
import pytest

from glassbox.trace import Trace
from tests.integration._pipeline import REPO, PipelineRun, glassbox, step_runs
from tests.integration._store import audit_table

pytestmark = pytest.mark.slow


def test_a_hash_from_an_audit_table_reaches_the_commit_lock_and_datasets(
    trained: PipelineRun,
) -> None:
    steps = step_runs(trained)
    score, train = steps["score"], steps["train"]
    table = audit_table(trained, score.info.run_id)
    row = table.iloc[1234]
    r = glassbox(trained.home, "trace", row["record_hash"], "--json")
    assert r.returncode == 0, r.stdout + r.stderr
    t = Trace.model_validate_json(r.stdout)
    commit = score.data.tags["mlflow.source.git.commit"]  # the commit the pipeline ran
    known = subprocess.run(["git", "cat-file", "-e", f"{commit}^{{commit}}"], cwd=REPO, check=False)
    assert known.returncode == 0, f"{commit} is not a commit of the repository"
    lock = hashlib.sha256((REPO / "requirements.lock").read_bytes()).hexdigest()
    assert (t.prediction.prediction_id, t.prediction.seq) == (row["prediction_id"], 1234)
    assert t.prediction.matched_by == "record_hash"
    assert t.score_run.run_id == score.info.run_id
    assert t.chain.ok and t.chain.records == len(table)
    assert t.model.fingerprint == train.data.tags["glassbox.model.fingerprint"]
    assert t.model.fingerprint_matches
    assert t.training_run is not None and t.training_run.run_id == train.info.run_id
    for run in (t.score_run, t.training_run):
        assert run.commit == commit
        assert run.lock_sha256 == lock
        assert run.workflow_uid == score.data.tags["glassbox.workflow_uid"]
    consumed = {(d.consumer_run_id, d.name): d for d in t.datasets}
    features = consumed[(train.info.run_id, "features-train")]
    assert features.produced_by is not None
    assert features.produced_by.run_id == steps["transform"].info.run_id
    raw = consumed[(steps["transform"].info.run_id, "raw-reference")]
    assert raw.produced_by is not None and raw.produced_by.step == "extract"
    sources = [d for d in t.datasets if d.consumer_run_id == steps["extract"].info.run_id]
    assert {d.name for d in sources} >= {"source-reference", "source-production"}
    assert t.pipeline_run is not None
    assert t.pipeline_run.run_id == score.data.tags["mlflow.parentRunId"]


def test_readable_trace_by_prediction_id_and_by_row_and_unknown_is_not_found(
    trained: PipelineRun,
) -> None:
    steps = step_runs(trained)
    table = audit_table(trained, steps["score"].info.run_id)
    pid = str(table.iloc[7]["prediction_id"])
    r = glassbox(trained.home, "trace", pid)
    assert r.returncode == 0, r.stdout + r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].startswith(f"prediction {pid}: ")
    assert "chain intact" in r.stdout
    assert f"trained by: train run {steps['train'].info.run_id}" in r.stdout
    assert "lock sha256" in r.stdout and "commit" in r.stdout
    assert "pipeline: run" in r.stdout
    missing = glassbox(trained.home, "trace", "f" * 64)
    assert missing.returncode == 1
    assert missing.stdout.strip().startswith("not found")
    bad = glassbox(trained.home, "trace", '{"id": 1}')
    assert bad.returncode == 1
    assert "row: missing" in bad.stderr


def test_a_scored_row_is_traced_to_its_record(trained: PipelineRun) -> None:
    from tests.integration._store import artifact

    steps = step_runs(trained)
    predictions = pd.read_parquet(
        artifact(trained, steps["score"].info.run_id, "predictions/predictions.parquet")
    )
    row = predictions.iloc[42]
    payload = {k: (v.isoformat() if isinstance(v, pd.Timestamp) else v) for k, v in row.items()}
    r = glassbox(trained.home, "trace", json.dumps(payload, default=str), "--json")
    assert r.returncode == 0, r.stdout + r.stderr
    t = Trace.model_validate_json(r.stdout)
    assert t.prediction.matched_by == "row"
    assert t.prediction.prediction_id == str(row["id"])
