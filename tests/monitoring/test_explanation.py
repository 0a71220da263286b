"""Explanation drift: raised when the model's reliance moves while every feature's own
distribution stays put; not raised on same-distribution windows."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from glassbox.config import DataSettings, ModelSettings
from glassbox.drift import Calibration, DriftCalculator
from glassbox.model import build
from glassbox.monitoring import ExplanationSettings, attributions, check_explanation

FEATURES = ["x1", "x2", "x3", "c"]
DATA = DataSettings(numeric_features=("x1", "x2", "x3"), categorical_features=("c",))


def _joint(rng: np.random.Generator, n: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "x1": rng.normal(0, 1, n),
            "x2": rng.normal(0, 1, n),
            "x3": rng.normal(0, 1, n),
            "c": rng.choice(["a", "b"], n),
        }
    )


def _label(frame: pd.DataFrame, rng: np.random.Generator) -> np.ndarray:
    """y depends on x1 where c is a, on x2 where c is b (an interaction), a little on x3."""
    logit = np.where(frame.c == "a", 2.5 * frame.x1, 1.2 * frame.x2) + 0.3 * frame.x3
    return (rng.random(len(frame)) < 1 / (1 + np.exp(-logit))).astype(int)


def _reliance_moved(rng: np.random.Generator, n: int) -> pd.DataFrame:
    """Same marginals, new pairing: c is 'a' exactly on the rows where |x1| is smallest, so the
    model leans on x1 far less, and each column alone looks as before."""
    frame = _joint(rng, n)
    order = np.argsort(np.abs(frame.x1.to_numpy()))
    labels = np.sort(frame.c.to_numpy())  # the same counts of a and b
    frame.loc[order, "c"] = labels
    return frame


@pytest.fixture(scope="module")
def fitted() -> dict[str, Any]:
    rng = np.random.default_rng(11)
    train = _joint(rng, 20_000)
    model = build(ModelSettings(), DATA, {"c": ["a", "b"]}, seed=1).fit(
        train.loc[:, FEATURES], _label(train, rng)
    )
    holdout = _joint(rng, 20_000)
    reference = attributions(model, holdout.sample(1000, random_state=0), FEATURES)
    drift = DriftCalculator(FEATURES, categorical=["c"]).fit(holdout)
    return {"model": model, "reference": reference, "drift": drift, "rng": rng}


def _check(fitted: dict[str, Any], window: pd.DataFrame) -> Any:
    sample = window.sample(2000, random_state=1)
    return check_explanation(
        fitted["reference"],
        attributions(fitted["model"], sample, FEATURES),
        ExplanationSettings(),
        Calibration(),
    )


def test_reliance_moving_with_every_feature_distribution_unchanged_is_explanation_drift(
    fitted: dict[str, Any],
) -> None:
    window = _reliance_moved(fitted["rng"], 20_000)
    assert fitted["drift"].calculate(window).severity == "none"  # no column moved on its own
    checked = _check(fitted, window)
    alerts = {(f.feature, f.severity) for f in checked.findings if f.is_problem}
    assert ("x1", "warning") in alerts
    assert checked.window_importance["x1"] < 0.85 * checked.reference_importance["x1"]


def test_same_distribution_windows_raise_no_explanation_drift(fitted: dict[str, Any]) -> None:
    for _ in range(3):
        checked = _check(fitted, _joint(fitted["rng"], 20_000))
        assert [f for f in checked.findings if f.is_problem] == []
        assert checked.ndcg > checked.ndcg_limit
