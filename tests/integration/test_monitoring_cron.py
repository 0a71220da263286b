"""The monitoring CronWorkflow run for real (`glassbox run monitoring`) on a store holding one
trained pipeline, with Slack and PagerDuty as real HTTP receivers on 127.0.0.1."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from tests.integration._pipeline import PipelineRun, glassbox

pytestmark = pytest.mark.slow

MOVED = {"car_value", "loan_length", "salary_range", "repaid_loan_on_prev_car"}
STILL = {"debt_to_income_ratio", "driver_tenure", "size_of_downpayment"}
SECRETS = {
    "slack": "MARKERslackWEBHOOKsecret",
    "pd": "MARKERpagerdutyROUTINGkey0000000",  # 32 chars, as Events v2 requires
    "hmac": "MARKERauditHMACkey",
}


@pytest.fixture(scope="module")
def receivers() -> Any:
    server = HTTPServer(host="127.0.0.1", port=0)
    server.expect_request(f"/services/{SECRETS['slack']}", method="POST").respond_with_data("ok")
    server.expect_request("/v2/enqueue", method="POST").respond_with_json(
        {"status": "success", "message": "Event processed", "dedup_key": "x"}, status=202
    )
    server.start()
    yield server
    server.clear()
    server.stop()


@pytest.fixture(scope="module")
def cron(
    trained: PipelineRun, receivers: HTTPServer, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    home = tmp_path_factory.mktemp("cron") / "home"
    shutil.copytree(trained.home, home)
    env = {
        "SLACK_WEBHOOK_URL": receivers.url_for(f"/services/{SECRETS['slack']}"),
        "PAGERDUTY_ROUTING_KEY": SECRETS["pd"],
        "GLASSBOX_ALERTS__PAGERDUTY_EVENTS_URL": receivers.url_for("/v2/enqueue"),
        "GLASSBOX_AUDIT_HMAC_KEY": SECRETS["hmac"],
    }
    first = glassbox(home, "run", "monitoring", timeout=1500, **env)
    assert first.returncode == 0, first.stdout[-4000:] + first.stderr[-4000:]
    requests = [(r.path, json.loads(r.get_data())) for r, _ in receivers.log]
    second = glassbox(home, "run", "monitoring", timeout=900, **env)
    assert second.returncode == 0, second.stdout[-4000:] + second.stderr[-4000:]
    return {
        "home": home,
        "first": first,
        "second": second,
        "requests": requests,
        "run": PipelineRun(home, 0, "", ""),
    }


def _steps(run: PipelineRun, workflow: str) -> dict[str, Any]:
    client = run.client()
    exp = client.get_experiment_by_name("glassbox-car-loan-monitoring")
    found = client.search_runs(
        [exp.experiment_id],
        f"tags.`glassbox.run_kind` = 'step' and tags.`glassbox.workflow_name` = '{workflow}'",
    )
    return {r.data.tags["glassbox.step_key"]: r for r in found}


def _workflow(out: str) -> str:
    """The workflow name from `glassbox run`'s summary line ("... tasks; workflow NAME, uid")."""
    return out.split("tasks; workflow ", 1)[1].split(",", 1)[0]


def _json(run: PipelineRun, run_id: str, path: str, tmp: Path) -> Any:
    import mlflow.artifacts

    local = mlflow.artifacts.download_artifacts(
        run_id=run_id, artifact_path=path, dst_path=str(tmp), tracking_uri=run.tracking_uri
    )
    return json.loads(Path(local).read_text())


def test_first_window_flags_the_moved_features_and_not_the_others(cron: dict[str, Any]) -> None:
    steps = _steps(cron["run"], _workflow(cron["first"].stdout))
    flagged = set(steps["drift"].data.tags["glassbox.drift.flagged"].split(","))
    assert flagged - {"y_pred_proba"} == MOVED
    assert not flagged & STILL


def test_nannyml_flags_drift_only_in_the_second_half_and_both_aucs_drop_together(
    cron: dict[str, Any], tmp_path: Path
) -> None:
    from glassbox.monitoring import MonitoringResult

    run = cron["run"]
    steps = _steps(run, _workflow(cron["first"].stdout))
    result = MonitoringResult.model_validate(
        _json(run, steps["performance"].info.run_id, "nannyml/nannyml.json", tmp_path)
    )
    half = len(result.chunks) // 2
    second_half = {c.index for c in result.chunks if c.index >= half and c.sufficient}
    for feature in MOVED:
        assert set(result.drift_chunks(feature)) == second_half, feature
    for feature in STILL:
        assert not result.drift_chunks(feature), feature
    est = set(result.estimated_drop_chunks("roc_auc"))
    real = set(result.realized_drop_chunks("roc_auc"))
    assert est and real
    assert min(est | real) >= half
    assert len(est & real) >= 0.8 * len(est | real)


def test_alerts_reach_slack_and_pagerduty_as_valid_payloads(cron: dict[str, Any]) -> None:
    from tests.alerts._blockkit import block_kit_problems
    from tests.alerts._pagerduty_standin import events_v2_problems

    slack = [body for path, body in cron["requests"] if path.startswith("/services/")]
    pd = [body for path, body in cron["requests"] if path == "/v2/enqueue"]
    assert slack and pd
    for body in slack:
        assert block_kit_problems(body) == []
    for body in pd:
        assert events_v2_problems(body) == []
        assert body["event_action"] == "trigger"
    assert any("car_value" in b["dedup_key"] for b in pd)


def test_critical_window_triggered_one_guarded_retraining(cron: dict[str, Any]) -> None:
    run = cron["run"]
    first = _steps(run, _workflow(cron["first"].stdout))
    assert first["retrain-decision"].data.tags["glassbox.retrain"] == "true"
    client = run.client()
    exp = client.get_experiment_by_name("glassbox-car-loan")
    pipelines = client.search_runs([exp.experiment_id], "tags.`glassbox.run_kind` = 'pipeline'")
    names = [r.data.tags["glassbox.workflow_name"] for r in pipelines]
    retrains = [n for n in names if n.startswith("glassbox-training-retrain-")]
    assert len(names) == 2
    assert len(retrains) == 1
    second = _steps(run, _workflow(cron["second"].stdout))
    assert second["retrain-decision"].data.tags["glassbox.retrain"] == "false"


def test_second_run_starts_at_the_watermark_and_history_charts_both_windows(
    cron: dict[str, Any],
) -> None:
    run = cron["run"]
    second = _steps(run, _workflow(cron["second"].stdout))
    window = second["window"]
    assert window.data.metrics["window.rows"] < 50_000
    client = run.client()
    exp = client.get_experiment_by_name("glassbox-car-loan-monitoring")
    (hist,) = client.search_runs([exp.experiment_id], "tags.`glassbox.run_kind` = 'history'")
    assert int(hist.data.tags["glassbox.monitor.windows"]) == 2
    points = client.get_metric_history(hist.info.run_id, "drift.car_value.psi")
    assert [p.step for p in points][:1] == [1]


def test_no_secret_reaches_the_store_artifacts_or_logs(cron: dict[str, Any]) -> None:
    home: Path = cron["home"]
    outputs = cron["first"].stdout + cron["first"].stderr + cron["second"].stdout
    for marker in SECRETS.values():
        assert marker.encode() not in (home / "mlflow.db").read_bytes()
        assert marker not in outputs
        for path in home.rglob("*"):
            if path.is_file() and path.stat().st_size < 50_000_000:
                assert marker.encode() not in path.read_bytes(), path


def test_explanation_drift_is_computed_on_the_window_and_charted(cron: dict[str, Any]) -> None:
    run = cron["run"]
    steps = _steps(run, _workflow(cron["first"].stdout))
    explanation = steps["explanation"]
    assert 0 < float(explanation.data.tags["glassbox.explanation.ndcg"]) <= 1
    assert explanation.data.metrics["explanation.sample_rows"] > 0
    client = run.client()
    exp = client.get_experiment_by_name("glassbox-car-loan-monitoring")
    (hist,) = client.search_runs([exp.experiment_id], "tags.`glassbox.run_kind` = 'history'")
    # One point per window that had rows (the second run's window is empty: nothing new scored).
    points = client.get_metric_history(hist.info.run_id, "explanation.ndcg")
    assert [p.step for p in points] == [1]


# The columns of the cron's window that its checks read (roles + features); the others are
# bookkeeping (model name/version/fingerprint, score run id) or derived (y_pred = proba >= 0.5,
# which `glassbox monitor` derives the same way when no --prediction is given).
ROLES = {"target": "repaid", "proba": "y_pred_proba", "timestamp": "timestamp", "id": "id"}
COMPARED = ("quality", "drift", "performance")
# Not compared: the cron's explanation findings. `glassbox monitor` checks two data files and
# has no model, and explanation drift needs the model and its training-time SHAP attributions.
NOT_COMPARED = ("explanation",)


def _export(run: PipelineRun, steps: dict[str, Any], out: Path, monkeypatch: Any) -> None:
    """The window the cron judged (the window step's artifact), the reference it used (the
    held-out rows of the champion's training run scored by the champion) and the data contract
    of that training run, from the MLflow record, as files."""
    import mlflow

    from glassbox.config import settings
    from glassbox.cron import reference_of_run
    from glassbox.data import read_artifact_table

    monkeypatch.setenv("MLFLOW_TRACKING_URI", run.tracking_uri)
    # the process-wide URIs win over the variable (restored after the test by conftest)
    mlflow.set_tracking_uri(run.tracking_uri)
    mlflow.set_registry_uri(run.tracking_uri)
    data = settings().data
    columns = [str(data.id_column), str(data.timestamp_column), *data.features,
               data.target_column, "y_pred_proba"]  # fmt: skip
    window = steps["window"]
    frame = read_artifact_table(f"runs:/{window.info.run_id}/window/window.parquet")
    frame.loc[:, columns].to_parquet(out / "window.parquet", index=False)
    ref = reference_of_run(window.data.tags["glassbox.model.run_id"])
    ref.frame(list(data.features)).loc[:, columns].to_parquet(out / "reference.parquet")
    training = run.client().get_experiment_by_name(settings().tracking.experiment)
    (out / "contract.json").write_text(ref.contract(training.experiment_id).to_json())


def test_glassbox_monitor_on_the_window_the_cron_judged_reports_the_same_findings(
    cron: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from glassbox.monitoring import Findings, to_alerts

    run = cron["run"]
    steps = _steps(run, _workflow(cron["first"].stdout))
    _export(run, steps, tmp_path, monkeypatch)
    files = {name: str(tmp_path / f"{name}.parquet") for name in ("reference", "window")}
    checked = glassbox(
        cron["home"], "monitor", "--reference", files["reference"], "--current", files["window"],
        "--contract", str(tmp_path / "contract.json"), "--out", str(tmp_path / "out"),
        "--no-report", "--model", "car-loan-default", *(f"--{r}={c}" for r, c in ROLES.items()),
    )  # fmt: skip
    assert checked.returncode == 0, checked.stderr[-4000:]
    monitor = json.loads((tmp_path / "out" / "monitor.json").read_text())

    cron_findings = [
        f
        for name in COMPARED
        for f in Findings.model_validate(
            _json(run, steps[name].info.run_id, f"findings/{name}.json", tmp_path / name)
        ).findings
    ]
    ours = {(f.check, f.feature, f.severity) for f in cron_findings}
    theirs = {(f["check"], f["feature"], f["severity"]) for f in monitor["findings"]}
    assert ours == theirs
    # Passing checks included, so this is every check on every column, not only the alerts.
    assert len(ours) > 40
    checks = {c for c, _, _ in ours}
    assert checks >= {"data_drift", "prediction_drift", "performance", "estimated_performance"}
    assert any(c.startswith("data_quality.") for c in checks)
    assert {(c, f) for c, f, s in ours if s == "critical"} >= {
        ("data_drift", name) for name in MOVED
    }
    # The same numbers, not only the same verdicts.
    values = {(f.check, f.feature, f.metric): f.value for f in cron_findings}
    assert values == {
        (f["check"], f["feature"], f["metric"]): f["value"] for f in monitor["findings"]
    }
    sent = to_alerts(cron_findings, "car-loan-default", problems_only=True)
    alerts = {(a["check"], a["feature"], a["severity"]) for a in monitor["alerts"]}
    assert alerts == {(a.check, a.feature, a.severity.value) for a in sent}
    for name in NOT_COMPARED:
        found = _json(run, steps[name].info.run_id, f"findings/{name}.json", tmp_path / name)
        assert {f["check"] for f in found["findings"]} <= {"explanation_drift"}


def test_feedback_latency_is_observed_by_the_cron_when_targets_have_no_arrival_time(
    cron: dict[str, Any],
) -> None:
    run = cron["run"]
    first = _steps(run, _workflow(cron["first"].stdout))["window"]
    assert first.data.tags["glassbox.labels.latency_source"].startswith("observed by the cron")
    m = first.data.metrics
    # Every label of the window arrived before the first run: each is timed from its score run
    # to this run, and nothing is left waiting.
    assert m["labels.first_seen"] == m["window.targets_arrived"] == m["window.rows"]
    assert m["labels.pending"] == 0 and m["labels.late_arrived"] == 0
    assert 0 < m["labels.latency_seconds.p50"] <= m["labels.latency_seconds.max"] < 6 * 3600
    second = _steps(run, _workflow(cron["second"].stdout))["window"].data.metrics
    assert second["labels.first_seen"] == 0 and "labels.latency_seconds.p50" not in second
    client = run.client()
    exp = client.get_experiment_by_name("glassbox-car-loan-monitoring")
    (hist,) = client.search_runs([exp.experiment_id], "tags.`glassbox.run_kind` = 'history'")
    points = client.get_metric_history(hist.info.run_id, "labels.latency_seconds.p50")
    assert [p.step for p in points] == [1]
