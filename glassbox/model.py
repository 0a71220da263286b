"""The model: ordinal-encoded categoricals + HistGradientBoosting, and its fingerprint.

Categoricals are ordinal-encoded (categories from the data contract, sorted) rather than using
HistGradientBoosting's native categorical splits, so the trees split on plain thresholds and
``shap.TreeExplainer`` is exact on them (see glassbox.explain).

``model.task`` chooses the estimator: a classifier of a binary label, whose outputs are the
probability of class 1 (``y_pred_proba``) and the class (``y_pred`` = proba >= 0.5), or a
regressor of a numeric target, whose output is the number (``y_pred``). :func:`outputs` is the
one place a fitted model's outputs are computed (score, reference, drift profile, monitoring).
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd
    from sklearn.pipeline import Pipeline

    from glassbox.config import DataSettings, ModelSettings, Task

PROBA, LABEL = "y_pred_proba", "y_pred"
# skops refuses to load types it does not know; these are the ones our pipeline contains
# beyond skops' built-in sklearn allow-list (checked by tests/test_model.py).
SKOPS_TRUSTED_TYPES = ["sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor"]


def build(
    model: ModelSettings, data: DataSettings, categories: dict[str, list[str]], seed: int
) -> Pipeline:
    import numpy as np
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OrdinalEncoder

    cats = list(data.categorical_features)
    encode = ColumnTransformer(
        [
            (
                "categorical",
                OrdinalEncoder(
                    categories=[categories[c] for c in cats],
                    handle_unknown="use_encoded_value",
                    unknown_value=np.nan,
                ),
                cats,
            ),
            ("numeric", "passthrough", list(data.numeric_features)),
        ],
        verbose_feature_names_out=False,
    )
    estimator = (
        HistGradientBoostingRegressor
        if model.task == "regression"
        else HistGradientBoostingClassifier
    )(
        learning_rate=model.learning_rate,
        max_iter=model.max_iter,
        max_leaf_nodes=model.max_leaf_nodes,
        early_stopping=model.early_stopping,
        max_features=model.max_features,
        random_state=seed % 2**32,
    )
    name = "regressor" if model.task == "regression" else "classifier"
    return Pipeline([("encode", encode), (name, estimator)])


def task_of(model: Any) -> Task:
    """``regression`` for a fitted regressor (the pipeline's last step), else
    ``classification``: the task is a property of the model, whatever the settings now say."""
    from sklearn.base import is_regressor

    return "regression" if is_regressor(model) else "classification"


def output_columns(task: Task) -> tuple[str, ...]:
    """The columns :func:`outputs` adds, the model's score first (the drift-profiled one)."""
    return (LABEL,) if task == "regression" else (PROBA, LABEL)


def outputs(model: Any, features: pd.DataFrame) -> dict[str, Any]:
    """The model's outputs on ``features``: ``{y_pred_proba, y_pred}`` (float64 probability of
    class 1, int64 class at 0.5) for a classifier, ``{y_pred}`` (float64) for a regressor."""
    import numpy as np

    if task_of(model) == "regression":
        return {LABEL: np.asarray(model.predict(features), dtype="float64")}
    proba = np.asarray(model.predict_proba(features)[:, 1], dtype="float64")
    return {PROBA: proba, LABEL: (proba >= 0.5).astype("int64")}


def _feed(h: Any, obj: Any, depth: int = 0) -> None:
    """Canonical, order-stable walk over a fitted object's state (arrays by dtype+shape+bytes)."""
    import numpy as np

    if depth > 50:
        raise ValueError("fingerprint: estimator state nested deeper than 50 levels")
    if isinstance(obj, np.ndarray):
        h.update(f"nd{obj.dtype.str}{obj.shape}".encode())
        h.update(np.ascontiguousarray(obj).tobytes() if obj.dtype != object else repr(obj).encode())
    elif isinstance(obj, dict):
        h.update(b"{")
        for key in sorted(obj, key=repr):
            h.update(repr(key).encode())
            _feed(h, obj[key], depth + 1)
        h.update(b"}")
    elif isinstance(obj, list | tuple):
        h.update(b"[")
        for item in obj:
            _feed(h, item, depth + 1)
        h.update(b"]")
    elif isinstance(obj, np.random.RandomState | np.random.Generator):
        h.update(b"rng")  # generator state after fit is not part of what the model computes
    elif hasattr(obj, "__dict__") and not isinstance(obj, type):
        h.update(f"<{type(obj).__module__}.{type(obj).__qualname__}>".encode())
        _feed(h, vars(obj), depth + 1)
    else:
        text = repr(obj)
        # Extension objects (e.g. Cython loss functions) repr with a memory address: use the type.
        h.update((type(obj).__qualname__ if " at 0x" in text else text).encode())


def fingerprint(estimator: Any) -> str:
    """SHA-256 over the fitted estimator's parameters and learned state — not over files MLflow
    writes (they hold timestamps). Same data + same seed → same fingerprint."""
    h = hashlib.sha256(b"glassbox-model-v1")
    _feed(h, estimator)
    return h.hexdigest()


def features_frame(df: pd.DataFrame, data: DataSettings) -> pd.DataFrame:
    return df.loc[:, list(data.features)]
