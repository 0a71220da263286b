"""The training pipeline run for real (`glassbox run training`), then MLflow queried for the
glass-box record of every step. Three runs: seed 42 (network off), seed 42 again, seed 7."""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from tests.integration._pipeline import REPO, PipelineRun, glassbox, step_runs

pytestmark = pytest.mark.slow

STEPS = {
    "extract",
    "validate",
    "transform",
    "train",
    "evaluate",
    "explain",
    "register",
    "score",
    "drift",
}
FEATURES = [
    "car_value",
    "debt_to_income_ratio",
    "loan_length",
    "driver_tenure",
    "salary_range",
    "size_of_downpayment",
    "repaid_loan_on_prev_car",
]


@pytest.fixture(scope="session")
def steps(runs: dict[str, PipelineRun]) -> dict[str, Any]:
    return step_runs(runs["a"])


def _artifact(run: PipelineRun, run_id: str, path: str, tmp: Path) -> Path:
    import mlflow.artifacts

    return Path(
        mlflow.artifacts.download_artifacts(
            run_id=run_id, artifact_path=path, dst_path=str(tmp), tracking_uri=run.tracking_uri
        )
    )


def test_offline_run_exits_zero_and_prints_where_the_record_is(
    runs: dict[str, PipelineRun],
) -> None:
    out = runs["a"].stdout
    assert f"MLflow record: {runs['a'].tracking_uri}" in out
    assert "pipeline training succeeded" in out
    assert (runs["a"].home / "mlflow.db").is_file()


def test_every_step_run_is_nested_under_one_finished_pipeline_run(
    runs: dict[str, PipelineRun], steps: dict[str, Any]
) -> None:
    assert set(steps) == STEPS
    client = runs["a"].client()
    parents = {r.data.tags["mlflow.parentRunId"] for r in steps.values()}
    assert len(parents) == 1
    parent = client.get_run(parents.pop())
    assert parent.data.tags["glassbox.run_kind"] == "pipeline"
    assert parent.info.status == "FINISHED"
    assert parent.data.tags["glassbox.workflow_status"] == "Succeeded"
    assert all(r.info.status == "FINISHED" for r in steps.values())


def test_each_step_records_seed_code_orchestration_people_and_cost(steps: dict[str, Any]) -> None:
    commit = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout.strip()
    lock = hashlib.sha256((REPO / "requirements.lock").read_bytes()).hexdigest()
    uids = set()
    for name, r in steps.items():
        p, t, m = r.data.params, r.data.tags, r.data.metrics
        assert p["seed"] == "42" and p["seed.numpy"] == "42", name
        assert p["seed.PYTHONHASHSEED"] == "42", name
        assert t["mlflow.source.git.commit"] == commit, name
        assert t["glassbox.git.dirty"] in {"true", "false"}, name
        assert t["glassbox.lock.sha256"] == lock, name
        assert t["glassbox.executor"] == "local" and t["glassbox.local_run_id"], name
        assert t["glassbox.pod_name"].startswith(t["glassbox.workflow_name"]), name
        assert t["glassbox.project"] == "glassbox" and t["glassbox.env"] == "local", name
        assert t["glassbox.user"] and t["mlflow.user"], name
        assert t["glassbox.instance_type"] == "local", name
        assert m["run_time_seconds"] > 0 and m["estimated_cost_usd"] == 0.0, name
        assert any(k.startswith("system/cpu_utilization") for k in m), f"{name}: {sorted(m)}"
        uids.add(t["glassbox.workflow_uid"])
    assert len(uids) == 1


def test_datasets_carry_digest_source_schema_and_the_run_that_produced_them(
    steps: dict[str, Any],
) -> None:
    by_id = {r.info.run_id: name for name, r in steps.items()}
    produced: dict[tuple[str, str], str] = {}
    for name, r in steps.items():
        for di in r.inputs.dataset_inputs:
            tags = {t.key: t.value for t in di.tags}
            if tags["mlflow.data.context"] == "output":
                produced[(di.dataset.name, di.dataset.digest)] = name
    assert {n for n, _ in produced} >= {
        "raw-reference",
        "raw-production",
        "features-train",
        "features-holdout",
        "predictions",
    }
    linked = 0
    for name, r in steps.items():
        for di in r.inputs.dataset_inputs:
            ds, tags = di.dataset, {t.key: t.value for t in di.tags}
            assert ds.digest and ds.source and json.loads(ds.schema)["mlflow_colspec"], name
            if tags["mlflow.data.context"] == "output" or ds.name.startswith("source-"):
                continue
            producer = by_id[tags["glassbox.produced_by_run"]]
            assert produced[(ds.name, ds.digest)] == producer == tags["glassbox.produced_by_step"]
            linked += 1
    assert linked >= 8


def test_lineage_command_follows_predictions_to_model_features_and_raw_data(
    runs: dict[str, PipelineRun], steps: dict[str, Any]
) -> None:
    r = glassbox(runs["a"].home, "lineage", steps["score"].info.run_id)
    assert r.returncode == 0, r.stderr
    text = r.stdout
    lines = text.splitlines()

    def depth(step: str) -> int:
        """Indent (2 spaces a level) of the first line showing this step's run."""
        line = next(x for x in lines if f"{step}  run {steps[step].info.run_id}" in x)
        return (len(line) - len(line.lstrip())) // 2

    # predictions (score) <- model (train) <- features (transform) <- raw data (extract)
    assert (depth("score"), depth("train"), depth("transform")) == (0, 1, 2)
    assert depth("extract") in {1, 3}  # under score (raw production) or under transform
    assert steps["train"].data.tags["glassbox.model.fingerprint"] in text
    assert "produced predictions" in text
    assert "consumed features-train" in text


def test_gate_verdict_logged_and_champion_alias_points_at_the_gated_model(
    runs: dict[str, PipelineRun], steps: dict[str, Any]
) -> None:
    ev = steps["evaluate"]
    assert ev.data.tags["glassbox.gate"] == "passed"
    assert ev.data.metrics["roc_auc"] > 0.9
    mv = runs["a"].client().get_model_version_by_alias("car-loan-default", "champion")
    fingerprint = steps["train"].data.tags["glassbox.model.fingerprint"]
    assert mv.tags["glassbox.model.fingerprint"] == fingerprint
    assert mv.tags["glassbox.gate_run_id"] == ev.info.run_id


def test_explain_logs_shap_plots_values_and_an_exact_additivity_check(
    runs: dict[str, PipelineRun], steps: dict[str, Any], tmp_path: Path
) -> None:
    run = steps["explain"]
    names = {f.path for f in runs["a"].client().list_artifacts(run.info.run_id, "shap")}
    assert {
        "shap/shap_importance_bar.png",
        "shap/shap_beeswarm.png",
        "shap/shap_values.parquet",
    } <= names
    assert run.data.metrics["shap.additivity_max_error"] < 1e-6
    values = pd.read_parquet(
        _artifact(runs["a"], run.info.run_id, "shap/shap_values.parquet", tmp_path)
    )
    assert len(values) == 1000
    recon = values.filter(like="shap_").sum(axis=1) + values["base_value"]
    assert (recon - values["model_output_logodds"]).abs().max() < 1e-6


def test_audit_table_holds_hashes_for_every_prediction_and_no_feature_values(
    runs: dict[str, PipelineRun], steps: dict[str, Any], tmp_path: Path
) -> None:
    from glassbox.audit import TABLE_COLUMNS

    run = steps["score"]
    table = pd.read_parquet(
        _artifact(runs["a"], run.info.run_id, "audit/audit_table.parquet", tmp_path)
    )
    assert list(table.columns) == list(TABLE_COLUMNS)
    assert len(table) == 50_000 == table["record_hash"].nunique()
    assert run.data.tags["glassbox.audit.root"] == table["chain_hash"].iloc[-1]
    assert not set(FEATURES) & set(table.columns)
    preds = pd.read_parquet(
        _artifact(runs["a"], run.info.run_id, "predictions/predictions.parquet", tmp_path)
    )
    sample = preds["salary_range"].iloc[0]
    assert not table.astype(str).apply(lambda c: c.str.contains(sample, regex=False)).any().any()


def _hashes(run: PipelineRun, tmp: Path) -> tuple[str, pd.Series]:
    score = step_runs(run)["score"]
    table = pd.read_parquet(_artifact(run, score.info.run_id, "audit/audit_table.parquet", tmp))
    return score.data.tags["glassbox.model.fingerprint"], table.set_index("prediction_id")[
        "record_hash"
    ]


def test_same_seed_reproduces_fingerprint_and_hashes_and_another_seed_changes_them(
    runs: dict[str, PipelineRun], tmp_path: Path
) -> None:
    fa, ha = _hashes(runs["a"], tmp_path / "a")
    fb, hb = _hashes(runs["b"], tmp_path / "b")
    fc, hc = _hashes(runs["c"], tmp_path / "c")
    assert fa == fb and ha.equals(hb)
    assert fa != fc
    assert (ha != hc.reindex(ha.index)).all()


def _row_json(preds: pd.DataFrame, i: int, **changes: Any) -> str:
    row = preds.iloc[i]
    data = {c: row[c] for c in ["id", *FEATURES]} | {"timestamp": row["timestamp"].isoformat()}
    data = {k: (v.item() if hasattr(v, "item") else v) for k, v in data.items()} | changes
    return json.dumps(data)


def test_audit_verify_finds_a_scored_row_and_rejects_a_changed_feature(
    runs: dict[str, PipelineRun], steps: dict[str, Any], tmp_path: Path
) -> None:
    run = runs["a"]
    score_id = steps["score"].info.run_id
    preds = pd.read_parquet(_artifact(run, score_id, "predictions/predictions.parquet", tmp_path))
    ok = glassbox(run.home, "audit", "verify", "--row", _row_json(preds, 123))
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert f"recorded in {score_id} at seq" in ok.stdout
    assert "car-loan-default v1" in ok.stdout
    assert steps["train"].data.tags["glassbox.model.fingerprint"] in ok.stdout
    changed = float(preds["car_value"].iloc[123]) + 1.0
    bad = glassbox(run.home, "audit", "verify", "--row", _row_json(preds, 123, car_value=changed))
    assert bad.returncode == 1
    assert "inputs differ" in bad.stdout
    scored = tmp_path / "scored.parquet"
    preds.head(500).to_parquet(scored)
    whole = glassbox(run.home, "audit", "verify", "--scored", str(scored))
    assert whole.returncode == 0 and "500 rows: 500 recorded" in whole.stdout


def test_audit_verify_reports_an_edited_and_a_dropped_record(
    runs: dict[str, PipelineRun], steps: dict[str, Any], tmp_path: Path
) -> None:
    run = runs["a"]
    score_id = steps["score"].info.run_id
    table_path = _artifact(run, score_id, "audit/audit_table.parquet", tmp_path)
    manifest = _artifact(run, score_id, "audit/audit_manifest.json", tmp_path)
    intact = glassbox(
        run.home, "audit", "verify", "--table", str(table_path), "--manifest", str(manifest)
    )
    assert intact.returncode == 0, intact.stdout + intact.stderr
    table = pd.read_parquet(table_path)

    edited = table.copy()
    edited.loc[100, "prediction"] = edited.loc[101, "prediction"]
    edited_path = tmp_path / "edited.parquet"
    edited.to_parquet(edited_path)
    r = glassbox(
        run.home, "audit", "verify", "--table", str(edited_path), "--manifest", str(manifest)
    )
    assert r.returncode == 1 and "seq 100" in r.stdout, r.stdout

    dropped_path = tmp_path / "dropped.parquet"
    table.drop(index=2000).to_parquet(dropped_path)
    r = glassbox(
        run.home, "audit", "verify", "--table", str(dropped_path), "--manifest", str(manifest)
    )
    assert r.returncode == 1 and "seq 2000" in r.stdout, r.stdout
