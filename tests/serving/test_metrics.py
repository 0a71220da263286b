"""The server's metrics: the families other branches rely on (CONTRACTS.md), with their types and
labels, exposed after real observations; and the dashboard shows what the issue asks for."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from prometheus_client.parser import text_string_to_metric_families

from glassbox.observability import BY_NAME
from glassbox.serving._metrics import ServingMetrics

REPO = Path(__file__).resolve().parents[2]
MODEL = ("car-loan-default", "3")
AGREED = {  # name: (type, labels beyond model_name and model_version), from CONTRACTS.md
    "glassbox_serving_requests_total": ("counter", {"endpoint", "code"}),
    "glassbox_serving_request_duration_seconds": ("histogram", {"endpoint"}),
    "glassbox_serving_predictions_total": ("counter", {"status"}),
    "glassbox_serving_errors_total": ("counter", {"type"}),
    "glassbox_serving_in_flight_requests": ("gauge", set()),
    "glassbox_serving_batch_size": ("histogram", set()),
    "glassbox_serving_audit_write_seconds": ("histogram", set()),
    "glassbox_serving_drift_psi": ("gauge", {"feature"}),
    "glassbox_serving_prediction_score": ("histogram", set()),
}


def test_the_agreed_families_are_catalogued_with_their_labels() -> None:
    for name, (kind, labels) in AGREED.items():
        spec = BY_NAME[name]
        assert spec.kind == kind, name
        assert {"model_name", "model_version"} | labels <= set(spec.labels), name
    buckets = BY_NAME["glassbox_serving_request_duration_seconds"].buckets
    assert {0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 1.0, 2.5} <= set(buckets)


def test_observations_are_exposed_with_the_model_labels() -> None:
    metrics = ServingMetrics()
    metrics.set_model(*MODEL, "f" * 64, "champion")
    metrics.request("/predict", 200, 0.012)
    metrics.request("/predict", 422, 0.001)
    metrics.error("invalid_input")
    metrics.predictions("ok", 3, MODEL)
    metrics.batch(MODEL, 3, np.array([0.1, 0.55, 0.97]))
    metrics.audit_write(MODEL, 0.004)
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(metrics.exposition().decode())
        for s in family.samples
    }
    model = (("model_name", MODEL[0]), ("model_version", MODEL[1]))

    def value(name: str, **labels: str) -> float:
        return samples[(name, tuple(sorted((*model, *labels.items()))))]

    assert value("glassbox_serving_requests_total", endpoint="/predict", code="422") == 1
    assert value("glassbox_serving_errors_total", type="invalid_input") == 1
    assert value("glassbox_serving_predictions_total", status="ok") == 3
    assert value("glassbox_serving_prediction_score_bucket", le="0.6") == 2
    assert value("glassbox_serving_batch_size_count") == 1
    assert (
        value("glassbox_serving_request_duration_seconds_bucket", endpoint="/predict", le="0.025")
        == 2
    )
    info = (("alias", "champion"), ("fingerprint", "f" * 64), *model)
    assert samples[("glassbox_serving_model_info", tuple(sorted(info)))] == 1
    assert any(name == "process_cpu_seconds_total" for name, _ in samples)


def test_a_new_version_takes_over_the_labels_and_the_info_gauge() -> None:
    metrics = ServingMetrics()
    metrics.set_model("m", "1", "a" * 64, "champion")
    metrics.set_model("m", "2", "b" * 64, "champion")
    metrics.request("/predict", 200, 0.01)
    text = metrics.exposition().decode()
    labels = 'code="200",endpoint="/predict",model_name="m",model_version="2"'
    assert f"glassbox_serving_requests_total{{{labels}}} 1.0" in text
    assert 'model_version="1"} 0.0' in text and 'model_version="2"} 1.0' in text


def test_the_dashboard_has_the_serving_panels_the_issue_lists() -> None:
    dashboard = json.loads((REPO / "k8s" / "prometheus" / "grafana-dashboard.json").read_text())
    panels = {p["title"]: p for p in dashboard["panels"]}
    assert panels["Request latency (/predict)"]["type"] == "heatmap"
    for title in (
        "Throughput against CPU and memory",
        "Error rate",
        "SLO compliance",
        "Live PSI per feature",
    ):
        assert title in panels, title
    exprs = " ".join(t["expr"] for t in panels["Throughput against CPU and memory"]["targets"])
    assert "process_cpu_seconds_total" in exprs and "process_resident_memory_bytes" in exprs
