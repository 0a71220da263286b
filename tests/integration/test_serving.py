"""``glassbox serve`` for real: a uvicorn process on a copy of the trained store, driven over HTTP.

One scripted session (the server starts once): predictions, 22 kinds of bad request, /monitor,
the stable then the drifting period of the default data replayed through /predict, the live
endpoints, the champion alias moved to a new version while requests keep coming, then SIGTERM.
The tests assert on what the session recorded: responses, metrics, access log, OTLP spans
received by a real HTTP receiver, the serving run and its audit in MLflow, and
``glassbox audit verify``.
"""

from __future__ import annotations

import json
import signal
import threading
import time
from typing import Any

import httpx
import pytest
from pytest_httpserver import HTTPServer

from glassbox.audit import canonical_record
from tests._otlp import received_spans
from tests.integration._pipeline import PipelineRun
from tests.integration._serve import MODEL, copy_store, glassbox_cli, metric_value, start
from tests.integration._serving_data import (
    FEATURES,
    MOVED,
    bad_requests,
    good,
    period,
    register_other_version,
)

pytestmark = pytest.mark.slow
MAX_BODY = 400_000


def _replay(client: httpx.Client, records: list[dict[str, Any]]) -> list[int]:
    return [
        client.post("/predict", json=records[i : i + 500]).status_code
        for i in range(0, len(records), 500)
    ]


def _under_load(server: Any, stop: threading.Event, seen: list[tuple[int, str | None]]) -> None:
    with server.client() as client:
        i = 0
        while not stop.is_set():
            response = client.post("/predict", json=good(i % 50))
            version = response.json().get("model", {}).get("version")
            seen.append((response.status_code, version))
            i += 1


def _switch_under_load(server: Any, store: PipelineRun) -> dict[str, Any]:
    seen: list[tuple[int, str | None]] = []
    stop = threading.Event()
    loaders = [threading.Thread(target=_under_load, args=(server, stop, seen)) for _ in range(4)]
    for t in loaders:
        t.start()
    new = register_other_version(store)
    store.client().set_registered_model_alias(MODEL, "champion", new)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not any(v == new for _, v in seen[-20:]):
        time.sleep(0.2)
    time.sleep(1.0)  # keep the load on after the switch
    stop.set()
    for t in loaders:
        t.join(60)
    return {"version": new, "seen": seen}


TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"  # W3C's example


def _spans(receiver: HTTPServer) -> list[Any]:
    return [span for _, span in received_spans(receiver)]


def _session(server: Any, store: PipelineRun, out: dict[str, Any]) -> None:
    with server.client() as c:
        out["one"] = c.post("/predict", json=good(0))
        out["many"] = c.post("/predict", json=[good(1) | {"id": 7}, good(2) | {"id": "b-2"}])
        out["traced"] = c.post("/predict", json=good(4), headers={"traceparent": TRACEPARENT})
        out["metrics_before"] = c.get("/metrics").text
        out["bad"] = [
            (kind, status, must, c.request(method, path, headers=headers, content=body))
            for kind, method, path, headers, body, status, must in bad_requests(MAX_BODY)
        ]
        out["after_bad"] = c.post("/predict", json=good(3))
        out["metrics_after_bad"] = c.get("/metrics").text
        monitored = [
            {
                "id": f"ext-{i}",
                "features": good(i),
                "prediction": 1,
                "probability": 0.8,
                "latency_ms": 12.5,
            }
            for i in range(3)
        ]
        out["monitor"] = c.post("/monitor", json=monitored)
        out["stable"] = _replay(c, period(drifting=False))
        out["drift_stable"] = c.get("/drift").json()
        out["metrics_stable"] = c.get("/metrics").text
        out["drifting"] = _replay(c, period(drifting=True))
        out["drift_drifting"] = c.get("/drift").json()
        out["metrics_drifting"] = c.get("/metrics").text
        for path in ("/latency", "/alerts", "/health", "/ready", "/"):
            out[path] = c.get(path)
    out["switch"] = _switch_under_load(server, store)


@pytest.fixture(scope="module")
def session(trained: PipelineRun, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    tmp = tmp_path_factory.mktemp("serving")
    store = copy_store(trained, tmp / "home")
    receiver = HTTPServer(host="127.0.0.1", port=0)
    receiver.expect_request("/v1/traces", method="POST").respond_with_data(
        b"", content_type="application/x-protobuf"
    )
    receiver.start()
    server = start(
        store,
        tmp / "run",
        OTEL_EXPORTER_OTLP_ENDPOINT=receiver.url_for("/").rstrip("/"),
        OTEL_BSP_SCHEDULE_DELAY="200",
        GLASSBOX_SERVING__ALIAS_POLL_SECONDS="0.5",
        GLASSBOX_SERVING__REQUESTS__MAX_BODY_BYTES=str(MAX_BODY),
        GLASSBOX_SERVING__SLO__MIN_REQUESTS="1",
    )
    out: dict[str, Any] = {"store": store, "server": server}
    try:
        _session(server, store, out)
    finally:
        out["exit"] = server.stop(signal.SIGTERM)
        receiver.stop()
    out["access"] = server.access_log()
    out["spans"] = _spans(receiver)
    client = store.client()
    out["run"] = client.get_run(out["/ready"].json()["run_id"])
    experiment = client.get_experiment_by_name("glassbox-car-loan-serving")
    assert out["run"].info.experiment_id == experiment.experiment_id
    return out


def test_a_record_and_an_array_are_predicted_and_audited(session: dict[str, Any]) -> None:
    one, many = session["one"].json(), session["many"].json()
    assert session["one"].status_code == 200 and session["many"].status_code == 200
    (prediction,) = one["predictions"]
    assert set(prediction) == {"id", "proba", "label", "audit_hash"}
    assert 0 <= prediction["proba"] <= 1 and prediction["label"] == int(prediction["proba"] >= 0.5)
    assert one["model"]["name"] == MODEL and len(one["model"]["fingerprint"]) == 64
    assert [p["id"] for p in many["predictions"]] == [7, "b-2"]
    row = good(0)
    expected = canonical_record(
        {k: (str(v) if k == "repaid_loan_on_prev_car" else v) for k, v in row.items()},
        model_fingerprint=one["model"]["fingerprint"],
        event_timestamp=one["event_timestamp"],
        prediction_id=prediction["id"],
        prediction={"y_pred": prediction["label"], "y_pred_proba": prediction["proba"]},
    )
    import hashlib

    assert hashlib.sha256(expected).hexdigest() == prediction["audit_hash"]


def test_bad_requests_are_4xx_naming_the_problem_counted_and_harmless(
    session: dict[str, Any],
) -> None:
    bad = session["bad"]
    assert len({kind for kind, *_ in bad}) >= 15
    for kind, status, must, response in bad:
        assert response.status_code == status, (kind, response.text)
        body = response.json()
        assert must.lower() in body["error"]["message"].lower(), (kind, body)
        assert "Traceback" not in response.text and 'File "' not in response.text, kind
    before = metric_value(session["metrics_before"], "glassbox_serving_errors_total")
    after = metric_value(session["metrics_after_bad"], "glassbox_serving_errors_total")
    assert after - before == len(bad)
    invalid = metric_value(
        session["metrics_after_bad"], "glassbox_serving_errors_total", type="invalid_input"
    )
    assert invalid >= len([b for b in bad if b[1] in (400, 413, 415, 422, 405)])
    assert session["after_bad"].status_code == 200, "the server keeps serving"


def test_monitor_records_predictions_made_elsewhere(session: dict[str, Any]) -> None:
    body = session["monitor"].json()
    assert session["monitor"].status_code == 200
    assert body["recorded"] == 3 and [a["id"] for a in body["audit"]] == ["ext-0", "ext-1", "ext-2"]
    latency = session["/latency"].json()
    assert latency["monitored"]["requests"] == 3 and latency["monitored"]["p50_ms"] == 12.5


def test_the_drifting_period_flags_what_the_cron_flags_and_the_stable_one_nothing(
    session: dict[str, Any],
) -> None:
    assert set(session["stable"]) == {200} and set(session["drifting"]) == {200}
    stable, drifting = session["drift_stable"], session["drift_drifting"]
    assert stable["window"]["rows"] == 5000 and stable["window"]["graded"]
    assert stable["drifted"] == []
    assert set(drifting["drifted"]) == MOVED
    for feature in drifting["features"]:
        assert feature["severity"] in {"none", "warning", "critical"}
        assert (feature["severity"] != "none") == (feature["name"] in MOVED | {"y_pred_proba"})
    for name in FEATURES:
        psi_stable = metric_value(
            session["metrics_stable"], "glassbox_serving_drift_psi", feature=name
        )
        psi_drift = metric_value(
            session["metrics_drifting"], "glassbox_serving_drift_psi", feature=name
        )
        assert psi_stable < 0.1, name
        assert (psi_drift >= 0.2) == (name in MOVED), (name, psi_drift)
        severity = metric_value(
            session["metrics_drifting"], "glassbox_serving_drift_severity", feature=name
        )
        assert (severity > 0) == (name in MOVED), name


def test_live_endpoints_answer(session: dict[str, Any]) -> None:
    assert session["/health"].json() == {"status": "ok"}
    assert session["/ready"].json()["status"] == "ready"
    started = session["server"].err.read_text(errors="replace")
    assert "allocator: up to 256 MB of freed memory kept for reuse (glibc mallopt)" in started
    latency = session["/latency"].json()["predict"]
    assert latency["requests"] > 20 and latency["p50_ms"] <= latency["p95_ms"] <= latency["p99_ms"]
    alerts = session["/alerts"].json()["alerts"]
    assert {(a["check"], a["feature"]) for a in alerts if a["check"] == "data_drift"} == {
        ("data_drift", name) for name in MOVED
    }
    text = session["metrics_drifting"]
    for family in (
        "glassbox_serving_request_duration_seconds_bucket",
        "glassbox_serving_batch_size_bucket",
        "glassbox_serving_audit_write_seconds_count",
        "glassbox_serving_prediction_score_bucket",
        "process_cpu_seconds_total",
    ):
        assert metric_value(text, family) > 0, family
    assert (
        metric_value(text, "glassbox_serving_predictions_total", status="ok", model_name=MODEL)
        >= 10_000
    )


def test_the_alias_moved_under_load_without_a_failed_request(session: dict[str, Any]) -> None:
    switch, run = session["switch"], session["run"]
    seen = switch["seen"]
    assert seen and {code for code, _ in seen} == {200}
    versions = [v for _, v in seen]
    first_new = versions.index(switch["version"])
    assert first_new > 0 and set(versions[first_new:]) == {switch["version"]}
    event = json.loads(run.data.tags["glassbox.serving.switch.1"])
    assert (event["from_version"], event["to_version"]) == ("1", switch["version"])
    assert run.data.tags["glassbox.model.version"] == switch["version"]


def test_sigterm_drains_logs_the_audit_and_ends_the_run(session: dict[str, Any]) -> None:
    run = session["run"]
    assert session["exit"] in (0, -signal.SIGTERM)
    assert run.info.status == "FINISHED", session["server"].log()
    tags = run.data.tags
    for key in ("mlflow.source.git.commit", "glassbox.lock.sha256", "glassbox.model.fingerprint"):
        assert tags.get(key), key
    assert tags["glassbox.serving.drained"] == "true"
    assert int(tags["glassbox.audit.segments.count"]) >= 2  # one per model version at least
    assert int(tags["glassbox.audit.segments.records"]) == sum(
        len(e.get("prediction_ids", [])) for e in session["access"] if e.get("status") == 200
    )
    assert any(k.startswith("system/") for k in run.data.metrics)


def test_audit_verify_checks_the_segments_and_finds_a_served_prediction(
    session: dict[str, Any],
) -> None:
    store, run = session["store"], session["run"]
    one = session["one"].json()
    row = good(0) | {"id": one["predictions"][0]["id"], "timestamp": one["event_timestamp"]}
    found = glassbox_cli(
        store, "audit", "verify", "--run", run.info.run_id, "--row", json.dumps(row)
    )
    assert found.returncode == 0, found.stdout + found.stderr
    segments = int(run.data.tags["glassbox.audit.segments.count"])
    assert found.stdout.count("chain intact") == segments, found.stdout
    assert "is recorded in" in found.stdout and "car-loan-default v1" in found.stdout
    forged = row | {"car_value": row["car_value"] + 1}
    differs = glassbox_cli(
        store, "audit", "verify", "--run", run.info.run_id, "--row", json.dumps(forged)
    )
    assert differs.returncode == 1 and "inputs differ" in differs.stdout


def test_each_request_has_a_span_and_a_log_line_with_the_same_ids(session: dict[str, Any]) -> None:
    one = session["one"].json()
    pid, digest = one["predictions"][0]["id"], one["predictions"][0]["audit_hash"]
    (line,) = [e for e in session["access"] if pid in e.get("prediction_ids", [])]
    assert line["audit_hashes"] == [digest] and line["status"] == 200 and line["trace_id"]
    assert line["caller"] and "python-httpx" not in json.dumps(line)  # the caller only hashed
    spans = [s for s in session["spans"] if s.trace_id.hex() == line["trace_id"]]
    assert len(spans) == 1
    attrs = {a.key: a.value for a in spans[0].attributes}
    assert [v.string_value for v in attrs["glassbox.prediction_ids"].array_value.values] == [pid]
    assert [v.string_value for v in attrs["glassbox.audit_hashes"].array_value.values] == [digest]
    assert attrs["glassbox.model_version"].string_value == "1"
    assert attrs["glassbox.batch_size"].int_value >= 1
    # a caller's W3C traceparent makes the request's span its child
    traced = session["traced"].json()["predictions"][0]["id"]
    (line,) = [e for e in session["access"] if traced in e.get("prediction_ids", [])]
    assert line["trace_id"] == TRACEPARENT.split("-")[1]
    (span,) = [s for s in session["spans"] if s.span_id.hex() == line["span_id"]]
    assert span.trace_id.hex() == TRACEPARENT.split("-")[1]
    assert span.parent_span_id.hex() == TRACEPARENT.split("-")[2]
    bad_lines = [e for e in session["access"] if e.get("status", 200) >= 400]
    assert len(bad_lines) >= 15 and all(e["error"]["code"] for e in bad_lines)
