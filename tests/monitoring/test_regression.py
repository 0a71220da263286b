"""Regression models: a numeric target and prediction (MAE, RMSE, R²; NannyML's DLE for the
label-free estimate). A shifted target raises both the realized and the estimated error."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from glassbox.config import DataSettings
from glassbox.monitoring import MonitoringSettings, check_performance

DATA = DataSettings(
    id_column="id", timestamp_column="ts", target_column="y",
    numeric_features=("x1", "x2"), categorical_features=("c",),
)  # fmt: skip
SETTINGS = MonitoringSettings.model_validate({"nannyml": {"chunk_size": 2000}})


def _frame(rng: np.random.Generator, n: int, start: int, shift: float = 0.0) -> pd.DataFrame:
    x1, x2 = rng.normal(shift, 1, n), rng.normal(0, 1, n)
    noise = rng.normal(0, 1, n) * (0.5 + np.abs(x1))  # the model errs more at large |x1|
    return pd.DataFrame(
        {"id": np.arange(start, start + n),
         "ts": pd.Timestamp("2024-01-01") + pd.to_timedelta(np.arange(start, start + n), "min"),
         "x1": x1, "x2": x2, "c": rng.choice(["a", "b"], n),
         "y": 3 * x1 + x2 + noise, "y_pred": 3 * x1 + x2}
    )  # fmt: skip


@pytest.fixture(scope="module")
def reference() -> pd.DataFrame:
    return _frame(np.random.default_rng(1), 12_000, 0)


def test_a_shifted_target_raises_the_realized_and_the_dle_estimated_error(
    reference: pd.DataFrame,
) -> None:
    window = _frame(np.random.default_rng(2), 8_000, 10**6, shift=1.5)
    checked = check_performance(reference, window, DATA, SETTINGS)
    assert checked.result.metrics == ("mae", "rmse")
    for metric in ("mae", "rmse"):
        assert checked.result.estimated_drop_chunks(metric)  # DLE: the error rose
        assert checked.result.realized_drop_chunks(metric)
        reference_value = checked.baseline.metrics[metric].reference
        assert checked.realized[metric] is not None
        assert checked.realized[metric] > 1.3 * reference_value
    problems = {(f.check, f.feature, f.severity) for f in checked.findings if f.is_problem}
    assert ("performance", "mae", "critical") in problems
    assert ("estimated_performance", "mae", "critical") in problems
    assert ("target_drift", "y", "warning") in problems
    assert checked.realized["r2"] is not None


def test_a_same_distribution_window_raises_no_regression_alert(reference: pd.DataFrame) -> None:
    window = _frame(np.random.default_rng(3), 8_000, 10**6)
    checked = check_performance(reference, window, DATA, SETTINGS)
    assert [f for f in checked.findings if f.is_problem] == []


def test_glassbox_monitor_takes_a_numeric_target_and_prediction(reference: pd.DataFrame) -> None:
    from glassbox.check import MonitorOptions, check

    window = _frame(np.random.default_rng(4), 8_000, 10**6, shift=1.5)
    options = MonitorOptions.create(
        report=False, chunk_size=2000, roles={"target": "y", "prediction": "y_pred", "id": "id"}
    )
    report = check(reference.drop(columns="ts"), window.drop(columns="ts"), options)
    perf = report.document["performance"]
    assert perf["metric"] == "mae"
    assert perf["realized"]["mae"] > 1.3 * perf["reference"]["mae"]
    assert perf["estimated"]["mae"] > perf["reference"]["mae"]
    assert {"performance", "estimated_performance"} <= {a["check"] for a in report.alerts}
