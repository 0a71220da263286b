"""The model: ordinal-encoded categoricals + HistGradientBoosting, and its fingerprint.

Categoricals are ordinal-encoded (categories from the data contract, sorted) rather than using
HistGradientBoosting's native categorical splits, so the trees split on plain thresholds and
``shap.TreeExplainer`` is exact on them (see glassbox.explain).
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd
    from sklearn.pipeline import Pipeline

    from glassbox.config import DataSettings, ModelSettings

# skops refuses to load types it does not know; these are the ones our pipeline contains
# beyond skops' built-in sklearn allow-list (checked by tests/test_model.py).
SKOPS_TRUSTED_TYPES = ["sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor"]


def build(
    model: ModelSettings, data: DataSettings, categories: dict[str, list[str]], seed: int
) -> Pipeline:
    import numpy as np
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import HistGradientBoostingClassifier
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
    classifier = HistGradientBoostingClassifier(
        learning_rate=model.learning_rate,
        max_iter=model.max_iter,
        max_leaf_nodes=model.max_leaf_nodes,
        early_stopping=model.early_stopping,
        max_features=model.max_features,
        random_state=seed % 2**32,
    )
    return Pipeline([("encode", encode), ("classifier", classifier)])


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
