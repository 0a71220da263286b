"""Model-ready frames: the contract's columns with stable dtypes, and the held-out split.

Data without an id column or without a timestamp column works too (``data.id_column`` /
``data.timestamp_column`` set to null):

- **No id column**: every row gets a derived id in column ``row_id`` (:data:`DERIVED_ID`),
  computed from its model-ready feature values (``glassbox.audit.derive_prediction_ids``:
  ``r`` + 20 hex digits of a hash of the canonical features, ``-2``, ``-3``... for repeats of
  identical features in row order; keyed with ``GLASSBOX_AUDIT_HMAC_KEY`` when that is set).
  The production batch, the delayed-targets file and a row given to ``glassbox audit verify
  --row`` thus get the same id for the same inputs.
- **No timestamp column**: rows keep the file's order, the held-out split is the *last*
  ``holdout_fraction`` of the rows (instead of the newest), the score step stamps each
  prediction with the time it was scored (column ``scored_at``, :data:`SCORED_AT`, also the
  audit's event time), and the monitoring window is one partition instead of one per month.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

    from glassbox.config import DataSettings

DERIVED_ID = "row_id"
SCORED_AT = "scored_at"


def id_name(data: DataSettings) -> str:
    """The id column of model-ready frames: the data's own, else the derived ``row_id``."""
    return data.id_column or DERIVED_ID


def event_time_name(data: DataSettings) -> str:
    """The event-time column of scored predictions: the data's timestamp, else ``scored_at``."""
    return data.timestamp_column or SCORED_AT


def ordering(data: DataSettings) -> str:
    """How rows are ordered (and the holdout chosen), for logs and run tags."""
    if data.timestamp_column:
        return f"time-ordered (by {data.timestamp_column})"
    return "row order (no timestamp column: the held-out rows are the last rows of the file)"


def fallbacks(data: DataSettings) -> dict[str, str]:
    """Run tags saying which documented fallback is in force (empty for data with both)."""
    out = {}
    if not data.id_column:
        out["glassbox.data.ids"] = (
            f"derived: no id column, ids in '{DERIVED_ID}' are hashes of each row's features"
        )
    if not data.timestamp_column:
        out["glassbox.data.order"] = ordering(data)
    return out


def canonical_features(df: pd.DataFrame, data: DataSettings) -> pd.DataFrame:
    """The feature columns as the model sees them: numeric float64, categorical strings
    (booleans spelt True/False)."""
    from glassbox.errors import DataValidationError

    missing = [c for c in data.features if c not in df.columns]
    if missing:
        raise DataValidationError(f"feature column(s) {missing} not in the data")
    out = df.loc[:, list(data.features)].copy()
    for col in data.numeric_features:
        out[col] = out[col].astype("float64")
    for col in data.categorical_features:
        out[col] = out[col].astype(str)
    return out


def row_ids(df: pd.DataFrame, data: DataSettings) -> pd.Series:
    """The rows' prediction ids: the id column, or ids derived from the features."""
    import pandas as pd

    from glassbox.audit import derive_prediction_ids, key_from_env

    if data.id_column:
        return df[data.id_column]
    ids = derive_prediction_ids(canonical_features(df, data), data.features, key_from_env())
    return pd.Series(ids, index=df.index, dtype=object, name=DERIVED_ID)


def target_values(target: pd.Series) -> pd.Series:
    """A binary label (bool or 0/1) as int64, a regression target as float64."""
    import pandas as pd

    if pd.api.types.is_bool_dtype(target.dtype) or target.dropna().isin([0, 1]).all():
        return target.astype("int64")
    return target.astype("float64")


def prepare(df: pd.DataFrame, data: DataSettings) -> pd.DataFrame:
    """Keep id, timestamp, features (and the target when present) with canonical dtypes:
    numeric features float64, categorical features strings (booleans spelt True/False),
    timestamps datetime64 UTC-naive, ordered by (timestamp, id) so results are reproducible.

    Without an id column the derived ``row_id`` comes first; without a timestamp the rows
    keep the file's order (see the module doc)."""
    import pandas as pd

    df = df.reset_index(drop=True)
    out = canonical_features(df, data)
    out.insert(0, id_name(data), row_ids(df, data))
    if data.timestamp_column:
        out.insert(1, data.timestamp_column, pd.to_datetime(df[data.timestamp_column]))
    if data.target_column in df.columns:
        out[data.target_column] = target_values(df[data.target_column])
    if data.timestamp_column:
        order = [data.timestamp_column] + ([data.id_column] if data.id_column else [])
        out = out.sort_values(order, kind="stable")
    return out.reset_index(drop=True)


def split_holdout(df: pd.DataFrame, fraction: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Train on the first ``1 - fraction`` of the (time- or row-ordered) history, hold out the
    rest.

    A time-based split needs no randomness and mimics how the model meets the future."""
    cut = round(len(df) * (1.0 - fraction))
    return df.iloc[:cut].reset_index(drop=True), df.iloc[cut:].reset_index(drop=True)
