"""Target (prior) drift once labels arrive, and feedback latency as metrics."""

from __future__ import annotations

import numpy as np
import pandas as pd

from glassbox.drift import Calibration
from glassbox.monitoring import check_labels, target_drift

CALIBRATION = Calibration()


def test_a_moved_positive_share_is_target_drift_and_a_steady_one_is_not() -> None:
    rng = np.random.default_rng(3)
    reference = (rng.random(20_000) < 0.3).astype(float)
    steady = target_drift(reference, (rng.random(5_000) < 0.3).astype(float), "y", CALIBRATION)
    assert steady.severity == "none"
    moved = target_drift(reference, (rng.random(5_000) < 0.4).astype(float), "y", CALIBRATION)
    assert moved.severity == "warning"
    assert moved.check == "target_drift"
    assert moved.value is not None and abs(moved.value - 0.4) < 0.03


def test_a_shifted_numeric_target_is_target_drift() -> None:
    rng = np.random.default_rng(4)
    reference = rng.normal(10, 2, 20_000)
    assert target_drift(reference, rng.normal(10, 2, 3_000), "t", CALIBRATION).severity == "none"
    assert target_drift(reference, rng.normal(11, 2, 3_000), "t", CALIBRATION).severity == (
        "warning"
    )


def test_feedback_latency_is_measured_from_prediction_to_label_arrival() -> None:
    rng = np.random.default_rng(5)
    n = 1_000
    predicted = pd.Timestamp("2024-01-01") + pd.to_timedelta(np.arange(n), unit="h")
    delay = pd.to_timedelta(rng.integers(1, 11, n), unit="D")
    labelled = rng.random(n) < 0.6
    window = pd.DataFrame(
        {
            "ts": predicted,
            "y": np.where(labelled, rng.integers(0, 2, n), np.nan),
            "arrived_at": np.where(labelled, predicted + delay, pd.NaT),
        }
    )
    checked = check_labels(
        rng.integers(0, 2, 5_000).astype(float), window, target="y", timestamp="ts",
        arrival="arrived_at", calibration=CALIBRATION,
    )  # fmt: skip
    days = 86_400
    assert 1 * days <= checked.metrics["labels.latency_seconds.p50"] <= 10 * days
    assert checked.metrics["labels.latency_seconds.max"] <= 10 * days
    assert abs(checked.metrics["labels.coverage"] - 0.6) < 0.05
    no_arrival = check_labels(
        np.array([0.0, 1.0] * 100), window.drop(columns="arrived_at"), target="y",
        timestamp="ts", arrival="arrived_at", calibration=CALIBRATION,
    )  # fmt: skip
    assert not any(k.startswith("labels.latency") for k in no_arrival.metrics)
