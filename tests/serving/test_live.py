"""The live record's windows: drift over the last N rows (the cron's calculator), latency
percentiles, and the alerts they raise."""

from __future__ import annotations

import numpy as np
import pandas as pd

from glassbox.drift import DriftCalculator
from glassbox.serving import DriftWindowSettings, SloSettings
from glassbox.serving._alerts import AlertBoard, evaluate
from glassbox.serving._drift_window import DriftWindow
from glassbox.serving._latency import LatencyWindow

from ._toy import loans, served

MODEL = served()


def model_columns(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    return MODEL.schema.validate(
        [
            {k: (v.item() if hasattr(v, "item") else v) for k, v in row.items()}
            for row in frame[list(MODEL.features)].to_dict("records")
        ],
        "w",
    ).columns


def test_the_window_keeps_the_last_rows_and_grades_like_the_cron() -> None:
    window = DriftWindow(MODEL.profile, DriftWindowSettings(window_rows=600, min_rows=500))
    old = loans(400, 90)
    new = loans(600, 91).assign(car_value=lambda f: f["car_value"] * 1.6)
    for part in (old, new):
        cols = model_columns(part)
        window.add(cols, MODEL.predict_proba(pd.DataFrame(cols)))
    live = window.compute()
    assert live.rows == 600 and live.graded
    cols = model_columns(new)
    frame = pd.DataFrame(cols).assign(y_pred_proba=MODEL.predict_proba(pd.DataFrame(cols)))
    cron = DriftCalculator.from_profile(MODEL.profile).calculate(frame)
    assert {f.name: f.severity for f in live.result.features} == {
        f.name: f.severity for f in cron.features
    }
    assert live.flagged() == ["car_value"]
    assert live.result["car_value"].psi == cron["car_value"].psi
    body = live.to_json(600, 500)
    assert body["drifted"] == ["car_value"] and body["window"]["rows"] == 600


def test_a_small_window_reports_statistics_but_no_severity() -> None:
    window = DriftWindow(MODEL.profile, DriftWindowSettings(window_rows=600, min_rows=500))
    cols = model_columns(loans(50, 3).assign(car_value=lambda f: f["car_value"] * 3))
    window.add(cols, MODEL.predict_proba(pd.DataFrame(cols)))
    live = window.compute()
    assert not live.graded and live.flagged() == []
    body = live.to_json(600, 500)
    assert all(f["severity"] == "none" for f in body["features"])
    assert body["features"][0]["psi"] is not None
    assert window.compute() is live  # cached until the window changes


def test_latency_percentiles_and_error_rate_over_a_time_range() -> None:
    window = LatencyWindow(100)
    for i in range(100):
        window.add(0.001 * (i + 1), error=i % 10 == 0, now=1000.0 + i)
    summary = window.summary()
    assert summary.requests == 100 and summary.errors == 10
    assert abs(summary.p50_ms - 50.5) < 1e-6 and summary.p99_ms > 98
    assert window.summary(since=1090.0).requests == 10


def test_alerts_follow_the_slo_and_remember_since_when() -> None:
    slo = SloSettings(p95_ms=100, p99_ms=500, min_requests=10)
    fast, slow, failing = LatencyWindow(50), LatencyWindow(50), LatencyWindow(50)
    for i in range(50):
        fast.add(0.01)
        slow.add(0.2 if i < 45 else 0.9)
        failing.add(0.01, error=i < 5)
    assert evaluate(slo, fast.summary(), None, None) == []
    (latency,) = evaluate(slo, slow.summary(), None, None)
    assert (latency.check, latency.severity) == ("serving_latency", "critical")
    (errors,) = evaluate(slo, failing.summary(), None, None)
    assert (errors.check, errors.severity) == ("serving_errors", "critical")
    board = AlertBoard("car-loan-default/serving")
    first = board.update([errors], now=100.0)
    again = board.update([errors], now=200.0)
    assert first[0]["active_since"] == again[0]["active_since"]
    assert again[0]["runbook"] == "docs/runbook.md#serving-errors"
    assert board.update([], now=300.0) == []


def test_throughput_outside_its_bounds_alerts() -> None:
    slo = SloSettings(throughput_min_rps=5, throughput_max_rps=50)
    window = LatencyWindow(10)
    assert [a.feature for a in evaluate(slo, window.summary(), None, 2.0)] == ["low"]
    assert [a.feature for a in evaluate(slo, window.summary(), None, 80.0)] == ["high"]
    assert evaluate(slo, window.summary(), None, 20.0) == []
