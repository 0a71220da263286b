"""A regression model from a user's own files through the whole product: `glassbox init` on a
numeric target, the training pipeline (regressor, R² gate, SHAP, scoring), then the monitoring
cron on a production batch whose distances grow in its last two months: the target moves, and
the realized error and NannyML's DLE estimate of it (no labels needed) rise in exactly those
chunks. Two pipeline runs and a retraining: e2e (`just test-e2e`)."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import pytest

from tests.integration._pipeline import PipelineRun, glassbox
from tests.integration._regression import write_files

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

NAME = "trips"


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    where = tmp_path_factory.mktemp("regression")
    files = write_files(where)
    home, config = where / "home", where / f"glassbox-{NAME}.yaml"
    init = glassbox(
        home, "init", "--reference", str(files["reference"]), "--target", "duration",
        "--id", "trip_id", "--timestamp", "started_at", "--production", str(files["production"]),
        "--targets", str(files["targets"]), "--name", NAME, "--out", str(config),
    )  # fmt: skip
    assert init.returncode == 0, init.stderr
    training = glassbox(home, "--config", str(config), "run", "training")
    assert training.returncode == 0, training.stdout[-4000:] + training.stderr[-4000:]
    cron = glassbox(home, "--config", str(config), "run", "monitoring", timeout=1500)
    assert cron.returncode == 0, cron.stdout[-4000:] + cron.stderr[-4000:]
    return {"init": init, "training": training, "cron": cron, "run": PipelineRun(home, 0, "", "")}


def _steps(run: PipelineRun, experiment: str) -> dict[str, Any]:
    """step key → the first run of that step in ``experiment``."""
    client = run.client()
    exp = client.get_experiment_by_name(experiment)
    found = client.search_runs(
        [exp.experiment_id],
        "tags.`glassbox.run_kind` = 'step'",
        order_by=["attributes.start_time ASC"],
    )
    out: dict[str, Any] = {}
    for r in found:
        out.setdefault(r.data.tags["glassbox.step_key"], r)
    return out


def _artifact(run: PipelineRun, run_id: str, path: str) -> str:
    import mlflow.artifacts

    local = mlflow.artifacts.download_artifacts(
        run_id=run_id,
        artifact_path=path,
        dst_path=tempfile.mkdtemp(),
        tracking_uri=run.tracking_uri,
    )
    return Path(local).read_text()


def test_init_and_the_training_pipeline_make_a_gated_regressor(runs: dict[str, Any]) -> None:
    import pandas as pd

    assert "→ regression" in runs["init"].stdout
    run = runs["run"]
    steps = _steps(run, f"glassbox-{NAME}")
    assert steps["train"].data.tags["glassbox.model.task"] == "regression"
    assert steps["train"].data.params["model.class"] == "HistGradientBoostingRegressor"
    evaluate = steps["evaluate"]
    assert evaluate.data.tags["glassbox.gate"] == "passed"
    assert evaluate.data.metrics["r2_score"] > 0.8
    assert (
        evaluate.data.metrics["root_mean_squared_error"]
        > evaluate.data.metrics["mean_absolute_error"]
    )
    gate = json.loads(_artifact(run, evaluate.info.run_id, "gate/gate.json"))
    assert [(c["metric"], c["check"]) for c in gate["criteria"]] == [("r2_score", "floor")]
    assert steps["explain"].data.metrics["shap.additivity_max_error"] < 1e-6
    predictions = pd.read_parquet(
        run.client().download_artifacts(
            steps["score"].info.run_id, "predictions/predictions.parquet"
        )
    )
    assert "y_pred_proba" not in predictions and predictions["y_pred"].dtype == "float64"
    assert predictions["y_pred"].nunique() > 1000  # a number per trip, not a class


def test_realized_and_dle_estimated_error_rise_where_the_target_moves(runs: dict[str, Any]) -> None:
    from glassbox.monitoring import Findings, MonitoringResult

    run = runs["run"]
    steps = _steps(run, f"glassbox-{NAME}-monitoring")
    performance = steps["performance"]
    result = MonitoringResult.model_validate_json(
        _artifact(run, performance.info.run_id, "nannyml/nannyml.json")
    )
    half = len(result.chunks) // 2
    second_half = tuple(c.index for c in result.chunks if c.index >= half)
    print(f"\n{'chunk':>5} {'rows':>6} | {'MAE realized':>12} {'MAE DLE':>8} {'limit':>6} | "
          f"{'RMSE realized':>13} {'RMSE DLE':>8} {'limit':>6}")  # fmt: skip
    for c in result.chunks:
        mae_r, mae_e = c.realized_metric("mae"), c.estimated_metric("mae")
        rmse_r, rmse_e = c.realized_metric("rmse"), c.estimated_metric("rmse")
        print(f"{c.index:>5} {c.rows:>6} | {mae_r.value:>12.3f} {mae_e.value:>8.3f} "
              f"{mae_r.upper_threshold:>6.3f} | {rmse_r.value:>13.3f} {rmse_e.value:>8.3f} "
              f"{rmse_r.upper_threshold:>6.3f}")  # fmt: skip
    for metric in ("mae", "rmse"):
        assert result.realized_drop_chunks(metric) == second_half, metric
        assert result.estimated_drop_chunks(metric) == second_half, metric
        for kind in ("realized", "estimated"):
            values = [getattr(c, f"{kind}_metric")(metric).value for c in result.chunks]
            before, after = values[:half], values[half:]
            assert min(after) > 1.4 * max(before), (metric, kind, values)
    findings = Findings.model_validate_json(
        _artifact(run, performance.info.run_id, "findings/performance.json")
    )
    problems = {(f.check, f.feature): f for f in findings.problems}
    for metric in ("mae", "rmse"):
        assert problems[("performance", metric)].severity == "critical"
        assert problems[("estimated_performance", metric)].severity == "critical"
        assert problems[("estimated_performance", metric)].summary.startswith("DLE estimated")
    # The target itself moved: its arrived labels against the reference's (KS).
    assert problems[("target_drift", "duration")].metric == "ks_statistic"
    assert performance.data.tags["glassbox.monitor.verdict"] == "covariate_shift"
    drift = steps["drift"].data.tags["glassbox.drift.flagged"].split(",")
    assert "distance" in drift and "load" not in drift and "region" not in drift
    client = run.client()
    exp = client.get_experiment_by_name(f"glassbox-{NAME}-monitoring")
    (hist,) = client.search_runs([exp.experiment_id], "tags.`glassbox.run_kind` = 'history'")
    assert {"realized.mae", "estimated.mae", "realized.rmse", "estimated.rmse"} <= set(
        hist.data.metrics
    )


def test_the_critical_window_retrained_and_the_gate_compared_r2_with_the_champion(
    runs: dict[str, Any],
) -> None:
    run = runs["run"]
    client = run.client()
    exp = client.get_experiment_by_name(f"glassbox-{NAME}")
    evaluations = client.search_runs(
        [exp.experiment_id],
        "tags.`glassbox.step` = 'evaluate'",
        order_by=["attributes.start_time ASC"],
    )
    assert len(evaluations) == 2
    gate = json.loads(_artifact(run, evaluations[1].info.run_id, "gate/gate.json"))
    assert ("r2_score", "champion") in {(c["metric"], c["check"]) for c in gate["criteria"]}
