"""SHAP values of either task add up to the model's raw output (the additivity check)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from glassbox import model as gm
from glassbox.config import DataSettings, ModelSettings
from glassbox.explain import OUTPUT_COLUMN, explain

DATA = DataSettings(numeric_features=("x1", "x2"), categorical_features=("c",))


@pytest.mark.parametrize("task", ["classification", "regression"])
def test_values_plus_base_are_the_raw_output_for_either_task(task: str, tmp_path: Path) -> None:
    rng = np.random.default_rng(4)
    df = pd.DataFrame({"id": np.arange(800), "x1": rng.normal(size=800),
                       "x2": rng.normal(size=800), "c": rng.choice(["a", "b"], 800)})  # fmt: skip
    signal = 2 * df.x1 - df.x2 + (df.c == "b")
    y = (signal > 0).astype(int) if task == "classification" else signal + rng.normal(0, 0.3, 800)
    settings = ModelSettings(task=task, max_iter=25)  # type: ignore[arg-type]
    model = gm.build(settings, DATA, {"c": ["a", "b"]}, 0).fit(gm.features_frame(df, DATA), y)

    result = explain(model, df.head(200), "id", list(DATA.features), tmp_path)

    assert result.additivity_max_error < 1e-6
    table = result.values
    output = table[OUTPUT_COLUMN[task]]
    shap_sum = table.filter(like="shap_").sum(axis=1) + table["base_value"]
    assert np.allclose(shap_sum, output, atol=1e-6)
    if task == "regression":  # the raw output of a regressor is its prediction
        assert np.allclose(output, model.predict(gm.features_frame(df.head(200), DATA)))
    assert result.importance.index[0] == "x1"
