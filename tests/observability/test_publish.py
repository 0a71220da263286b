"""Publishing: a real HTTP receiver on 127.0.0.1 plays the Pushgateway; textfiles in tmp_path."""

from __future__ import annotations

import logging
import socket
from pathlib import Path

import pytest

from glassbox.observability import (
    FILE_ENV,
    PUSHGATEWAY_ENV,
    TIMEOUT_ENV,
    ObservabilityError,
    publish_pipeline,
    publish_window,
    textfile_path,
)

from ._samples import families, samples, value
from .conftest import MODEL

WINDOW_PATH = f"/metrics/job/glassbox-monitoring/model/{MODEL}"


def _body(httpserver) -> str:  # type: ignore[no-untyped-def]
    ((request, _response),) = httpserver.log
    return request.get_data(as_text=True)


def test_window_is_pushed_to_the_gateway_grouped_by_model(
    httpserver,
    drift_result,
    monitoring_result,
    send_report,  # type: ignore[no-untyped-def]
) -> None:
    httpserver.expect_request(WINDOW_PATH, method="PUT").respond_with_data("", status=200)
    env = {PUSHGATEWAY_ENV: httpserver.url_for("/")}
    publish_window(
        MODEL,
        drift=drift_result,
        performance=monitoring_result,
        alerts=send_report,
        window_rows=500,
        finished_at=1_700_000_000.0,
        environ=env,
    )
    body = _body(httpserver)
    found = samples(body)
    assert (
        value(found, "glassbox_drift_psi", model=MODEL, feature="car_value", kind="feature") == 0.31
    )
    assert (
        value(found, "glassbox_drift_severity", model=MODEL, feature="income", kind="feature") == 2
    )
    assert value(found, "glassbox_performance_estimated", model=MODEL, metric="roc_auc") == 0.7
    assert (
        value(found, "glassbox_alerts_sent", model=MODEL, check="data_drift", severity="critical")
        == 2
    )
    assert value(found, "glassbox_monitor_window_rows", model=MODEL) == 500
    assert value(found, "glassbox_monitor_last_success_timestamp_seconds", model=MODEL) == 1.7e9
    assert "# TYPE glassbox_drift_psi gauge" in body
    assert not any(name.startswith(("process_", "python_")) for name in families(body))


def test_pipeline_run_is_pushed_grouped_by_pipeline(httpserver) -> None:  # type: ignore[no-untyped-def]
    path = "/metrics/job/glassbox-pipelines/pipeline/monitoring"
    httpserver.expect_request(path, method="PUT").respond_with_data("", status=202)
    failures = '[{"displayName":"drift(0)","templateName":"drift","phase":"Failed"}]'
    publish_pipeline(
        "monitoring",
        status="Failed",
        duration_seconds=812.5,
        failures=failures,
        step_durations={"window": 30.0, "drift": 95.0},
        environ={PUSHGATEWAY_ENV: httpserver.url_for("/")},
    )
    found = samples(_body(httpserver))
    assert value(found, "glassbox_pipeline_last_run_failed", pipeline="monitoring") == 1
    assert (
        value(found, "glassbox_pipeline_last_run_duration_seconds", pipeline="monitoring") == 812.5
    )
    assert (
        value(
            found, "glassbox_pipeline_last_run_step_failures", pipeline="monitoring", step="drift"
        )
        == 1
    )
    assert (
        value(
            found, "glassbox_pipeline_last_run_step_failures", pipeline="monitoring", step="window"
        )
        == 0
    )


def test_a_5xx_from_the_gateway_is_retried(httpserver) -> None:  # type: ignore[no-untyped-def]
    httpserver.expect_oneshot_request(WINDOW_PATH, method="PUT").respond_with_data("busy", 503)
    httpserver.expect_request(WINDOW_PATH, method="PUT").respond_with_data("", status=200)
    publish_window(MODEL, environ={PUSHGATEWAY_ENV: httpserver.url_for("/")}, strict=True)
    assert [r.status_code for _, r in httpserver.log] == [503, 200]


def test_a_4xx_is_not_retried_and_is_logged_not_raised(httpserver, caplog) -> None:  # type: ignore[no-untyped-def]
    httpserver.expect_request(WINDOW_PATH, method="PUT").respond_with_data("bad", status=400)
    env = {PUSHGATEWAY_ENV: httpserver.url_for("/")}
    with caplog.at_level(logging.WARNING, logger="glassbox.observability"):
        registry = publish_window(MODEL, environ=env)
    assert registry is not None
    assert len(httpserver.log) == 1
    assert "metrics not published: pushing metrics to" in caplog.text


def test_strict_raises_naming_the_gateway(httpserver) -> None:  # type: ignore[no-untyped-def]
    httpserver.expect_request(WINDOW_PATH, method="PUT").respond_with_data("bad", status=400)
    url = httpserver.url_for("/")
    with pytest.raises(ObservabilityError, match=f"pushing metrics to {url} failed"):
        publish_window(MODEL, environ={PUSHGATEWAY_ENV: url}, strict=True)


def test_an_unreachable_gateway_does_not_fail_the_run(caplog) -> None:  # type: ignore[no-untyped-def]
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again: nothing listens there
    env = {PUSHGATEWAY_ENV: f"http://127.0.0.1:{port}", TIMEOUT_ENV: "1"}
    with caplog.at_level(logging.WARNING, logger="glassbox.observability"):
        publish_window(MODEL, environ=env)
    assert f"127.0.0.1:{port}" in caplog.text


def test_textfile_is_written_per_group_for_the_node_exporter(tmp_path: Path, send_report) -> None:  # type: ignore[no-untyped-def]
    base = tmp_path / "glassbox.prom"
    env = {FILE_ENV: str(base)}
    publish_window(MODEL, alerts=send_report, environ=env)
    publish_pipeline("training", status="Succeeded", duration_seconds=60.0, environ=env)
    window_file = tmp_path / f"glassbox-monitoring-{MODEL}.prom"
    pipeline_file = tmp_path / "glassbox-pipelines-training.prom"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [window_file.name, pipeline_file.name]
    )
    assert (
        value(samples(window_file.read_text()), "glassbox_alert_delivery_pending", model=MODEL) == 2
    )
    assert (
        value(
            samples(pipeline_file.read_text()),
            "glassbox_pipeline_last_run_failed",
            pipeline="training",
        )
        == 0
    )


def test_gateway_and_textfile_together(httpserver, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    httpserver.expect_request(WINDOW_PATH, method="PUT").respond_with_data("", status=200)
    env = {PUSHGATEWAY_ENV: httpserver.url_for("/"), FILE_ENV: str(tmp_path / "g.prom")}
    publish_window(MODEL, window_rows=7, environ=env)
    pushed = samples(_body(httpserver))
    written = samples((tmp_path / f"g-monitoring-{MODEL}.prom").read_text())
    assert pushed == written


def test_nothing_configured_is_a_no_op_returning_the_registry(
    httpserver, tmp_path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv(PUSHGATEWAY_ENV, raising=False)
    monkeypatch.delenv(FILE_ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    registry = publish_window(MODEL, window_rows=3)
    assert value(samples(_text(registry)), "glassbox_monitor_window_rows", model=MODEL) == 3
    assert httpserver.log == []
    assert list(tmp_path.iterdir()) == []


def _text(registry) -> str:  # type: ignore[no-untyped-def]
    from prometheus_client import generate_latest

    return generate_latest(registry).decode()


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {FILE_ENV: "/tmp/metrics.txt"},
            r"GLASSBOX_METRICS_FILE: expected a file name ending in \.prom",
        ),
        (
            {FILE_ENV: "/nonexistent-dir-7f3a/glassbox.prom"},
            "directory '/nonexistent-dir-7f3a' does not exist",
        ),
        (
            {PUSHGATEWAY_ENV: "http://gateway host:9091"},
            "PROMETHEUS_PUSHGATEWAY_URL: expected http",
        ),
        (
            {PUSHGATEWAY_ENV: "http://127.0.0.1:9", TIMEOUT_ENV: "soon"},
            "GLASSBOX_METRICS_TIMEOUT_SECONDS: expected seconds > 0",
        ),
    ],
)
def test_bad_configuration_names_the_variable(env, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ObservabilityError, match=message):
        publish_window(MODEL, environ=env, strict=True)


def test_textfile_names_keep_groups_apart() -> None:
    assert textfile_path(
        "/var/tf/glassbox.prom", "glassbox-monitoring", {"model": "a/b c"}
    ) == Path("/var/tf/glassbox-monitoring-a_b_c.prom")
