"""The promotion gate: absolute floors and "not worse than the champion" via MLflow's validator."""

import pytest

from glassbox.config import GateSettings
from glassbox.evaluation import gate

CONF = GateSettings(min_roc_auc=0.8, min_accuracy=0.7, champion_tolerance=0.01)


def test_passes_floors_without_a_champion() -> None:
    v = gate({"roc_auc": 0.9, "accuracy_score": 0.8}, None, CONF)
    assert v.passed and v.label == "passed"
    assert "no champion" in v.reasons


def test_fails_an_absolute_floor_and_names_the_metric() -> None:
    v = gate({"roc_auc": 0.79, "accuracy_score": 0.8}, None, CONF)
    assert not v.passed
    assert "roc_auc" in v.reasons and "0.8" in v.reasons


def test_slightly_worse_than_champion_within_tolerance_passes() -> None:
    champion = {"roc_auc": 0.905, "accuracy_score": 0.85}
    v = gate({"roc_auc": 0.900, "accuracy_score": 0.845}, champion, CONF)
    assert v.passed, v.reasons


def test_worse_than_champion_beyond_tolerance_fails() -> None:
    champion = {"roc_auc": 0.95, "accuracy_score": 0.85}
    v = gate({"roc_auc": 0.90, "accuracy_score": 0.86}, champion, CONF)
    assert not v.passed
    assert "roc_auc" in v.reasons
    assert v.thresholds["roc_auc"]["champion"] == 0.95


def test_equal_to_champion_passes() -> None:
    m = {"roc_auc": 0.93, "accuracy_score": 0.88}
    assert gate(dict(m), dict(m), CONF).passed


REGRESSION = GateSettings(min_r2=0.6, max_rmse=2.0, max_mae=None, champion_tolerance=0.01)


def _fit(r2: float, rmse: float, mae: float = 1.0) -> dict[str, float]:
    return {"r2_score": r2, "root_mean_squared_error": rmse, "mean_absolute_error": mae}


def test_a_regressor_is_gated_on_its_r2_floor_and_rmse_ceiling_only_when_set() -> None:
    assert gate(_fit(0.7, 1.5, mae=99.0), None, REGRESSION, "regression").passed
    low = gate(_fit(0.5, 1.5), None, REGRESSION, "regression")
    assert not low.passed and "r2_score" in low.reasons
    wide = gate(_fit(0.7, 2.5), None, REGRESSION, "regression")
    assert not wide.passed and "root_mean_squared_error" in wide.reasons
    assert wide.thresholds["root_mean_squared_error"]["ceiling"] == 2.0
    assert "mean_absolute_error" not in wide.thresholds  # no ceiling set: not gated


def test_a_regressor_is_compared_with_the_champion_on_r2() -> None:
    champion = _fit(0.85, 1.0)
    assert gate(_fit(0.845, 1.9), champion, REGRESSION, "regression").passed
    worse = gate(_fit(0.80, 1.2), champion, REGRESSION, "regression")
    assert not worse.passed and "r2_score" in worse.reasons
    # RMSE is in the target's units: ceilings only, never compared with the champion.
    assert worse.thresholds["root_mean_squared_error"]["champion"] is None


def test_regression_holdout_metrics_use_mlflow_s_names() -> None:
    import numpy as np
    import pandas as pd

    from glassbox import model as gm
    from glassbox.config import DataSettings, ModelSettings
    from glassbox.evaluation import holdout_metrics

    rng = np.random.default_rng(1)
    X = pd.DataFrame({"x": rng.normal(size=500), "c": rng.choice(["a", "b"], 500)})
    y = pd.Series(2 * X.x + rng.normal(0, 0.5, 500))
    data = DataSettings(numeric_features=("x",), categorical_features=("c",))
    model = gm.build(ModelSettings(task="regression", max_iter=30), data, {"c": ["a", "b"]}, 0)
    metrics = holdout_metrics(model.fit(X, y), X, y)
    assert {"r2_score", "root_mean_squared_error", "mean_absolute_error"} <= set(metrics)
    assert metrics["root_mean_squared_error"] == pytest.approx(
        np.sqrt(metrics["mean_squared_error"])
    )
    assert metrics["r2_score"] > 0.8
