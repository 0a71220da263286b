"""The model pipeline: deterministic fingerprint, seed sensitivity, safe (skops) round trip."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from glassbox import model as gm
from glassbox.config import DataSettings, ModelSettings

NUMERIC = ("x1", "x2", "x3", "x4", "x5")
# ceil(0.8 * 6 features) = 5 per split: the seed decides which.
DATA = DataSettings(numeric_features=NUMERIC, categorical_features=("c",))
MODEL = ModelSettings(max_iter=20)


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    n = 2000
    df = pd.DataFrame({x: rng.normal(size=n) for x in NUMERIC})
    df["c"] = rng.choice(["a", "b", "c"], size=n)
    logit = df.x1 - 0.5 * df.x2 + 0.3 * df.x3 + (df.c == "b") * 1.0
    df["y"] = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return df


def _fit(df: pd.DataFrame, seed: int):  # type: ignore[no-untyped-def]
    m = gm.build(MODEL, DATA, {"c": ["a", "b", "c"]}, seed)
    return m.fit(gm.features_frame(df, DATA), df.y)


def test_same_seed_same_fingerprint_and_different_seed_changes_it(frame: pd.DataFrame) -> None:
    a, b, c = _fit(frame, 1), _fit(frame, 1), _fit(frame, 2)
    assert gm.fingerprint(a) == gm.fingerprint(b)
    assert gm.fingerprint(a) != gm.fingerprint(c)
    # The seed really changes what the model computes, not only a recorded parameter.
    X = gm.features_frame(frame, DATA)
    assert not np.array_equal(a.predict_proba(X), c.predict_proba(X))


def test_fingerprint_changes_when_learned_state_changes(frame: pd.DataFrame) -> None:
    a = _fit(frame, 1)
    b = _fit(frame.assign(y=1 - frame.y), 1)
    assert gm.fingerprint(a) != gm.fingerprint(b)


def test_skops_round_trip_needs_only_the_declared_trusted_types(frame: pd.DataFrame) -> None:
    import skops.io as sio

    m = _fit(frame, 1)
    blob = sio.dumps(m)
    assert sorted(sio.get_untrusted_types(data=blob)) == sorted(gm.SKOPS_TRUSTED_TYPES)
    loaded = sio.loads(blob, trusted=gm.SKOPS_TRUSTED_TYPES)
    X = gm.features_frame(frame, DATA)
    assert np.array_equal(loaded.predict_proba(X), m.predict_proba(X))
    assert gm.fingerprint(loaded) == gm.fingerprint(m)


def test_unknown_category_at_predict_time_is_missing_not_a_crash(frame: pd.DataFrame) -> None:
    m = _fit(frame, 1)
    X = gm.features_frame(frame.head(3), DATA).assign(c="zzz")
    assert m.predict_proba(X).shape == (3, 2)


REGRESSION = ModelSettings(max_iter=20, task="regression")


def _regressor(df: pd.DataFrame, seed: int):  # type: ignore[no-untyped-def]
    y = 3 * df.x1 - df.x2 + (df.c == "b") * 2.0
    m = gm.build(REGRESSION, DATA, {"c": ["a", "b", "c"]}, seed)
    return m.fit(gm.features_frame(df, DATA), y)


def test_a_regression_task_builds_a_regressor_whose_one_output_is_the_number(
    frame: pd.DataFrame,
) -> None:
    import skops.io as sio

    m = _regressor(frame, 1)
    X = gm.features_frame(frame, DATA)
    assert gm.task_of(m) == "regression" and gm.task_of(_fit(frame, 1)) == "classification"
    out = gm.outputs(m, X)
    assert list(out) == list(gm.output_columns("regression")) == ["y_pred"]
    assert out["y_pred"].dtype == np.float64
    assert np.corrcoef(out["y_pred"], 3 * frame.x1 - frame.x2)[0, 1] > 0.9
    # The same skops allow-list loads it (its loss object is in skops' own list).
    blob = sio.dumps(m)
    assert set(sio.get_untrusted_types(data=blob)) <= set(gm.SKOPS_TRUSTED_TYPES)
    loaded = sio.loads(blob, trusted=gm.SKOPS_TRUSTED_TYPES)
    assert np.array_equal(loaded.predict(X), out["y_pred"])


def test_a_classifier_outputs_the_probability_and_the_class_at_one_half(
    frame: pd.DataFrame,
) -> None:
    m = _fit(frame, 1)
    out = gm.outputs(m, gm.features_frame(frame, DATA))
    assert list(out) == list(gm.output_columns("classification")) == ["y_pred_proba", "y_pred"]
    assert np.array_equal(out["y_pred"], (out["y_pred_proba"] >= 0.5).astype("int64"))
