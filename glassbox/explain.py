"""SHAP explanations computed with ``shap.TreeExplainer`` directly, with an additivity check.

MLflow's built-in SHAP evaluator failed its additivity check on HistGradientBoosting, while
TreeExplainer called on the fitted trees is exact; so Glassbox computes the values itself and
logs the largest |sum(SHAP) + base value - model output| as a metric (in log-odds for a
classifier, in the target's units for a regressor).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

# The column of shap_values.parquet holding what the values add up to (with the base value).
OUTPUT_COLUMN = {"classification": "model_output_logodds", "regression": "model_output"}


@dataclass(frozen=True)
class Explanation:
    values: pd.DataFrame  # one row per explained record: id, shap_<feature>..., base, output
    importance: pd.Series  # mean |SHAP| per feature, descending
    additivity_max_error: float
    files: list[Path]


def explain(
    model: Any, sample: pd.DataFrame, id_column: str, features: list[str], out_dir: Path
) -> Explanation:
    """Explain ``model`` (encode → HistGradientBoosting pipeline) on ``sample``; write plots
    (``shap_importance_bar.png``, ``shap_beeswarm.png``) and ``shap_values.parquet``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np
    import pandas as pd
    import shap

    encode, trees = model[:-1], model[-1]
    X = encode.transform(sample.loc[:, features])
    names = list(encode.get_feature_names_out())
    X = pd.DataFrame(np.asarray(X, dtype="float64"), columns=names)
    explainer = shap.TreeExplainer(trees)
    explained = explainer(X)
    values = np.asarray(explained.values, dtype="float64")
    base = float(np.ravel(explained.base_values)[0])
    # The raw output the trees add up to: log-odds for a classifier, the number for a regressor.
    regression = not hasattr(trees, "decision_function")
    raw = X.to_numpy()  # the trees were fitted on the encoder's array (no column names)
    output = trees.predict(raw) if regression else trees.decision_function(raw)
    error = float(np.max(np.abs(values.sum(axis=1) + base - output)))

    table = pd.DataFrame(values, columns=[f"shap_{n}" for n in names])
    table.insert(0, id_column, sample[id_column].to_numpy())
    table["base_value"] = base
    table[OUTPUT_COLUMN["regression" if regression else "classification"]] = output
    importance = pd.Series(np.abs(values).mean(axis=0), index=names).sort_values(ascending=False)

    out_dir.mkdir(parents=True, exist_ok=True)
    files = [out_dir / "shap_values.parquet", out_dir / "shap_importance.csv"]
    table.to_parquet(files[0], index=False)
    importance.rename("mean_abs_shap").to_csv(files[1], index_label="feature")
    for name, draw in (
        ("shap_importance_bar.png", lambda: shap.plots.bar(explained, show=False)),
        ("shap_beeswarm.png", lambda: shap.plots.beeswarm(explained, show=False)),
    ):
        plt.figure()
        draw()
        plt.tight_layout()
        plt.savefig(out_dir / name, dpi=110)
        plt.close("all")
        files.append(out_dir / name)
    return Explanation(table, importance, error, files)
