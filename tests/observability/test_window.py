"""The gauges of one monitoring window, from the real result objects of its check steps."""

from __future__ import annotations

import math

import pytest
from prometheus_client import generate_latest

from glassbox.alerts import AlertRouter, AlertSettings, RetryPolicy
from glassbox.observability import CATALOGUE, ObservabilityError, metric_names, window_registry

from ._samples import families, registry_samples, value
from .conftest import MODEL


def test_drift_gives_psi_statistics_and_severity_per_column(drift_result) -> None:  # type: ignore[no-untyped-def]
    found = registry_samples(window_registry(MODEL, drift=drift_result.to_dict()))
    psi = {k[1]: v for k, v in found.items() if k[0] == "glassbox_drift_psi"}
    assert psi == {
        (("feature", "car_value"), ("kind", "feature"), ("model", MODEL)): 0.31,
        (("feature", "region"), ("kind", "feature"), ("model", MODEL)): 0.04,
        (("feature", "y_pred_proba"), ("kind", "prediction"), ("model", MODEL)): 0.15,
    }, "a column without data has no PSI sample (NaN is left out, not exported)"
    severity = {
        dict(k[1])["feature"]: v for k, v in found.items() if k[0] == "glassbox_drift_severity"
    }
    assert severity == {"car_value": 2, "region": 0, "income": 2, "y_pred_proba": 1}
    assert (
        value(
            found,
            "glassbox_drift_statistic",
            model=MODEL,
            feature="car_value",
            kind="feature",
            statistic="ks_statistic",
        )
        == 0.25
    )
    assert value(found, "glassbox_drift_features_flagged", model=MODEL) == 3


def test_drift_result_object_and_its_dict_give_the_same_samples(drift_result) -> None:  # type: ignore[no-untyped-def]
    a = registry_samples(window_registry(MODEL, drift=drift_result, finished_at=1.0))
    b = registry_samples(window_registry(MODEL, drift=drift_result.to_dict(), finished_at=1.0))
    assert a == b


def test_nannyml_result_gives_last_known_values_thresholds_and_dropped_chunks(
    monitoring_result,  # type: ignore[no-untyped-def]
) -> None:
    found = registry_samples(window_registry(MODEL, performance=monitoring_result))
    assert value(found, "glassbox_performance_estimated", model=MODEL, metric="roc_auc") == 0.70
    # the last chunk has no targets yet: realized is the last chunk that has a value
    assert value(found, "glassbox_performance_realized", model=MODEL, metric="roc_auc") == 0.79
    assert (
        value(
            found,
            "glassbox_performance_lower_threshold",
            model=MODEL,
            metric="roc_auc",
            kind="estimated",
        )
        == 0.75
    )
    assert (
        value(
            found,
            "glassbox_performance_lower_threshold",
            model=MODEL,
            metric="roc_auc",
            kind="realized",
        )
        == 0.74
    )
    dropped = {
        dict(k[1])["kind"]: v
        for k, v in found.items()
        if k[0] == "glassbox_performance_dropped_chunks"
    }
    assert dropped == {"estimated": 1, "realized": 0}
    assert value(found, "glassbox_performance_target_coverage", model=MODEL) == 0.5


def test_performance_step_metrics_mapping_is_accepted() -> None:
    found = registry_samples(
        window_registry(MODEL, performance={"estimated.roc_auc": 0.8, "realized.accuracy": 0.9})
    )
    assert value(found, "glassbox_performance_estimated", model=MODEL, metric="roc_auc") == 0.8
    assert value(found, "glassbox_performance_realized", model=MODEL, metric="accuracy") == 0.9


def test_send_report_gives_sent_alerts_worst_severity_and_delivery_health(send_report) -> None:  # type: ignore[no-untyped-def]
    found = registry_samples(window_registry(MODEL, alerts=send_report))
    sent = {
        (dict(k[1])["check"], dict(k[1])["severity"]): v
        for k, v in found.items()
        if k[0] == "glassbox_alerts_sent"
    }
    # suppressed and ignored decisions send nothing and are not counted
    assert sent == {("data_drift", "critical"): 2, ("prediction_drift", "warning"): 1}
    assert value(found, "glassbox_monitor_severity", model=MODEL) == 2
    assert value(found, "glassbox_alert_delivery_pending", model=MODEL) == 2
    assert value(found, "glassbox_alert_delivery_failures", model=MODEL) == 2
    assert value(found, "glassbox_alert_delivery_permanent_failures", model=MODEL) == 1


def test_a_real_router_report_counts_a_rejected_pagerduty_delivery(httpserver, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Slack accepts, PagerDuty rejects the routing key (400): a permanent failure."""
    from glassbox.alerts import Alert

    httpserver.expect_request("/services/T0/B0/x", method="POST").respond_with_data("ok")
    httpserver.expect_request("/v2/enqueue", method="POST").respond_with_json(
        {"status": "invalid event", "message": "Event object is invalid"}, status=400
    )
    settings = AlertSettings(
        state_dir=tmp_path / "alerts",
        pagerduty_events_url=httpserver.url_for("/v2/enqueue"),
        retry=RetryPolicy(attempts=2, timeout=5, wait_initial=0.01, wait_max=0.02, wait_jitter=0),
    )
    env = {
        "SLACK_WEBHOOK_URL": httpserver.url_for("/services/T0/B0/x"),
        "PAGERDUTY_ROUTING_KEY": "0123456789abcdef0123456789abcdef",
    }
    alert = Alert(
        model=MODEL,
        check="data_drift",
        feature="car_value",
        severity="critical",
        summary="PSI 0.31",
    )
    with AlertRouter.from_env(settings, environ=env) as router:
        report = router.send([alert])
    found = registry_samples(window_registry(MODEL, alerts=report))
    assert (
        value(found, "glassbox_alerts_sent", model=MODEL, check="data_drift", severity="critical")
        == 1
    )
    assert value(found, "glassbox_alert_delivery_permanent_failures", model=MODEL) == 1
    assert value(found, "glassbox_alert_delivery_pending", model=MODEL) == 0


def test_every_emitted_family_is_a_catalogued_gauge_with_its_labels(
    drift_result,
    monitoring_result,
    send_report,  # type: ignore[no-untyped-def]
) -> None:
    registry = window_registry(
        MODEL,
        drift=drift_result,
        performance=monitoring_result,
        alerts=send_report,
        window_rows=500,
    )
    text = generate_latest(registry).decode()
    assert set(families(text)) == metric_names("window"), "every window metric gets a sample"
    assert set(families(text).values()) == {"gauge"}
    declared = {spec.name: set(spec.labels) for spec in CATALOGUE}
    for (name, labels), _ in registry_samples(registry).items():
        assert {k for k, _ in labels} == declared[name], name


def test_success_timestamp_is_set_even_when_every_check_was_skipped() -> None:
    found = registry_samples(window_registry(MODEL, finished_at=1_700_000_000.0))
    assert found == {
        ("glassbox_monitor_last_success_timestamp_seconds", (("model", MODEL),)): 1.7e9
    }


def test_window_rows_accepts_an_mlflow_float_count() -> None:
    found = registry_samples(window_registry(MODEL, window_rows=1234.0))
    assert value(found, "glassbox_monitor_window_rows", model=MODEL) == 1234


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"drift": {"n_current_rows": 1}}, "drift: missing field 'features'"),
        ({"drift": [1, 2]}, "drift: expected a DriftResult or its to_dict"),
        ({"performance": {"roc_auc": 0.8}}, "performance: key 'roc_auc' is not"),
        ({"performance": {"estimated.roc_auc": "high"}}, "'estimated.roc_auc' must be a number"),
        ({"performance": 0.8}, "performance: expected a MonitoringResult"),
        ({"window_rows": -1}, r"window_rows: expected an integer >= 0, got -1"),
        ({"window_rows": 2.5}, r"window_rows: expected an integer >= 0, got 2.5"),
    ],
)
def test_bad_input_raises_one_line_naming_the_field(kwargs, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ObservabilityError, match=message) as info:
        window_registry(MODEL, **kwargs)
    assert "\n" not in str(info.value)


def test_empty_model_name_is_refused() -> None:
    with pytest.raises(ObservabilityError, match="model: expected a non-empty name"):
        window_registry("  ")


def test_unknown_severity_in_a_drift_dict_is_refused(drift_result) -> None:  # type: ignore[no-untyped-def]
    data = drift_result.to_dict()
    data["features"][0]["severity"] = "severe"
    with pytest.raises(ObservabilityError, match="column 'car_value' has severity 'severe'"):
        window_registry(MODEL, drift=data)


def test_nan_statistics_never_reach_the_exposition(drift_result) -> None:  # type: ignore[no-untyped-def]
    found = registry_samples(window_registry(MODEL, drift=drift_result))
    assert all(math.isfinite(v) for v in found.values())
