"""Model-ready frames: the contract's columns with stable dtypes, and a time-ordered holdout."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

    from glassbox.config import DataSettings


def prepare(df: pd.DataFrame, data: DataSettings) -> pd.DataFrame:
    """Keep id, timestamp, features (and the target when present) with canonical dtypes:
    numeric features float64, categorical features strings (booleans spelt True/False),
    timestamps datetime64 UTC-naive, ordered by (timestamp, id) so results are reproducible."""
    import pandas as pd

    keep = [data.id_column, data.timestamp_column, *data.features]
    if data.target_column in df.columns:
        keep.append(data.target_column)
    out = df.loc[:, keep].copy()
    for col in data.numeric_features:
        out[col] = out[col].astype("float64")
    for col in data.categorical_features:
        out[col] = out[col].astype(str)
    out[data.timestamp_column] = pd.to_datetime(out[data.timestamp_column])
    if data.target_column in out.columns:
        out[data.target_column] = out[data.target_column].astype("int64")
    return out.sort_values([data.timestamp_column, data.id_column], kind="stable").reset_index(
        drop=True
    )


def split_holdout(df: pd.DataFrame, fraction: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Train on the older ``1 - fraction`` of the (time-ordered) history, hold out the newest.

    A time-based split needs no randomness and mimics how the model meets the future."""
    cut = round(len(df) * (1.0 - fraction))
    return df.iloc[:cut].reset_index(drop=True), df.iloc[cut:].reset_index(drop=True)
