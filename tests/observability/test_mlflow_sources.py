"""Reading a window's results and a workflow's step durations from a real SQLite MLflow store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from glassbox.observability import (
    ObservabilityError,
    step_durations,
    window_registry,
    window_results,
)

from ._samples import registry_samples, value
from .conftest import MODEL


@pytest.fixture
def experiment(glassbox_home: Path) -> str:  # type: ignore[no-untyped-def]
    from glassbox.tracking import configure, ensure_experiment

    configure()
    return ensure_experiment("observability-test")


def _log_json(client, run_id: str, tmp: Path, artifact_path: str, data: object) -> None:  # type: ignore[no-untyped-def]
    local = tmp / artifact_path
    local.parent.mkdir(parents=True, exist_ok=True)
    local.write_text(data if isinstance(data, str) else json.dumps(data))
    client.log_artifact(run_id, str(local), str(Path(artifact_path).parent))


def test_window_results_follow_the_findings_uris_to_the_full_results(
    experiment,
    tmp_path,
    drift_result,
    monitoring_result,  # type: ignore[no-untyped-def]
) -> None:
    import mlflow

    client = mlflow.MlflowClient()
    drift_run = client.create_run(experiment).info.run_id
    perf_run = client.create_run(experiment).info.run_id
    _log_json(client, drift_run, tmp_path / "d", "drift/drift.json", drift_result.to_dict())
    _log_json(client, drift_run, tmp_path / "d", "findings/drift.json", [])
    _log_json(
        client,
        perf_run,
        tmp_path / "p",
        "nannyml/nannyml.json",
        monitoring_result.model_dump_json(),
    )
    _log_json(client, perf_run, tmp_path / "p", "findings/performance.json", [])
    sources = {
        "quality": f"runs:/{drift_run}/findings/quality.json",
        "drift": f"runs:/{drift_run}/findings/drift.json",
        "performance": f"runs:/{perf_run}/findings/performance.json",
    }
    results = window_results(sources)
    assert results.performance is not None
    assert results.performance.model_dump_json() == monitoring_result.model_dump_json()
    found = registry_samples(
        window_registry(MODEL, drift=results.drift, performance=results.performance)
    )
    assert (
        value(found, "glassbox_drift_psi", model=MODEL, feature="car_value", kind="feature") == 0.31
    )
    assert value(found, "glassbox_performance_estimated", model=MODEL, metric="roc_auc") == 0.7

    skipped = window_results({"drift": "", "performance": ""})
    assert skipped.drift is None and skipped.performance is None

    missing = f"runs:/{perf_run}/findings/drift.json"  # a run without drift/drift.json
    with pytest.raises(
        ObservabilityError, match=f"cannot download runs:/{perf_run}/drift/drift.json"
    ):
        window_results({"drift": missing})
    with pytest.raises(
        ObservabilityError, match=r"findings\['drift'\]: expected runs:/<run_id>/findings"
    ):
        window_results({"drift": "s3://bucket/drift.json"})


def test_step_durations_take_the_longest_item_of_each_step(experiment) -> None:  # type: ignore[no-untyped-def]
    import mlflow

    client = mlflow.MlflowClient()
    for step, seconds, uid in [
        ("window", 10.0, "u1"),
        ("profile", 40.0, "u1"),
        ("profile", 55.0, "u1"),
        ("drift", 70.0, "u1"),
        ("drift", 999.0, "other-workflow"),
    ]:
        run = client.create_run(
            experiment,
            tags={"glassbox.workflow_uid": uid, "glassbox.run_kind": "step", "glassbox.step": step},
        )
        client.log_metric(run.info.run_id, "run_time_seconds", seconds)
        client.set_terminated(run.info.run_id)
    client.create_run(
        experiment, tags={"glassbox.workflow_uid": "u1", "glassbox.run_kind": "pipeline"}
    )
    assert step_durations(experiment, "u1") == {"window": 10.0, "profile": 55.0, "drift": 70.0}


def _pushed(httpserver) -> dict:  # type: ignore[no-untyped-def]
    from ._samples import samples

    return samples(httpserver.log[-1][0].get_data(as_text=True))


def _gateway(httpserver) -> dict[str, str]:  # type: ignore[no-untyped-def]
    from glassbox.observability import PUSHGATEWAY_ENV

    path = f"/metrics/job/glassbox-monitoring/model/{MODEL}"
    httpserver.expect_request(path, method="PUT").respond_with_data("", status=200)
    return {PUSHGATEWAY_ENV: httpserver.url_for("/")}


def test_publish_window_from_findings_pushes_drift_and_performance(
    experiment,
    tmp_path,
    httpserver,
    drift_result,
    monitoring_result,  # type: ignore[no-untyped-def]
) -> None:
    import mlflow

    from glassbox.observability import publish_window

    client = mlflow.MlflowClient()
    run = client.create_run(experiment).info.run_id
    _log_json(client, run, tmp_path, "drift/drift.json", drift_result.to_dict())
    _log_json(client, run, tmp_path, "nannyml/nannyml.json", monitoring_result.model_dump_json())
    findings = {
        "drift": f"runs:/{run}/findings/drift.json",
        "performance": f"runs:/{run}/findings/performance.json",
    }
    publish_window(MODEL, findings=findings, window_rows=500.0, environ=_gateway(httpserver))
    pushed = _pushed(httpserver)
    severity = {"model": MODEL, "feature": "car_value", "kind": "feature"}
    assert value(pushed, "glassbox_drift_severity", **severity) == 2
    assert value(pushed, "glassbox_performance_realized", model=MODEL, metric="roc_auc") == 0.79
    assert value(pushed, "glassbox_monitor_window_rows", model=MODEL) == 500


def test_unloadable_results_are_logged_and_the_window_still_reported(
    experiment,
    httpserver,
    caplog,
    send_report,  # type: ignore[no-untyped-def]
) -> None:
    import logging

    from glassbox.observability import publish_window

    missing = {"drift": f"runs:/{'0' * 32}/findings/drift.json"}
    with caplog.at_level(logging.WARNING, logger="glassbox.observability"):
        publish_window(MODEL, findings=missing, alerts=send_report, environ=_gateway(httpserver))
    assert "window results not loaded: cannot download" in caplog.text
    pushed = _pushed(httpserver)
    assert value(pushed, "glassbox_alert_delivery_pending", model=MODEL) == 2
    assert not [k for k in pushed if k[0] == "glassbox_drift_psi"]
    with pytest.raises(ObservabilityError, match="cannot download"):
        publish_window(MODEL, findings=missing, environ=_gateway(httpserver), strict=True)
