"""Input contracts of the monitoring adapters: reference, prediction window, delayed targets.

Every check raises :class:`MonitoringInputError` with one line naming the frame, the column and
what was expected. Frames come back with canonical dtypes (numeric features float64, categorical
features strings with missing values kept, timestamps naive datetimes), ordered by
(timestamp, id) and re-indexed from 0. Data without a timestamp column keeps its row order; data
without an id column carries the derived ``row_id`` (glassbox.features).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from glassbox.features import id_name
from glassbox.monitoring._errors import MonitoringInputError
from glassbox.monitoring._results import TargetCoverage

if TYPE_CHECKING:
    import pandas as pd

    from glassbox.config import DataSettings
    from glassbox.monitoring._settings import MonitorSettings


def _plain(value: Any) -> Any:
    """A numpy scalar as the Python value (so messages read ``1.5``, not ``np.float64(1.5)``)."""
    return value.item() if hasattr(value, "item") else value


def require_columns(
    df: pd.DataFrame, columns: Iterable[str], what: str, *, allow_empty: bool = False
) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise MonitoringInputError(f"{what}: missing column(s) {missing}")
    if len(df) == 0 and not allow_empty:
        raise MonitoringInputError(f"{what}: no rows")


def canonical_features(
    df: pd.DataFrame, numeric: Iterable[str], categorical: Iterable[str], what: str
) -> pd.DataFrame:
    """A copy with numeric features float64 and categorical ones as strings (NaN kept)."""
    import pandas as pd

    out = df.copy()
    for col in numeric:
        values = pd.to_numeric(out[col], errors="coerce")
        bad = values.isna() & out[col].notna()
        if bad.any():
            row = int(bad.to_numpy().argmax())
            got = _plain(out[col].iloc[row])
            raise MonitoringInputError(
                f"{what}: column {col!r}: expected numbers, got {got!r} at row {row}"
            )
        out[col] = values.astype("float64")
    for col in categorical:
        out[col] = out[col].where(out[col].isna(), out[col].astype(str))
    return out


def _timestamps(series: pd.Series, what: str) -> pd.Series:
    import pandas as pd

    try:
        parsed = pd.to_datetime(series)
    except (ValueError, TypeError) as exc:
        raise MonitoringInputError(
            f"{what}: column {series.name!r}: expected timestamps ({exc})"
        ) from None
    if parsed.isna().any():
        row = int(parsed.isna().to_numpy().argmax())
        raise MonitoringInputError(
            f"{what}: column {series.name!r}: missing timestamp at row {row}"
        )
    if parsed.dt.tz is not None:
        parsed = parsed.dt.tz_convert("UTC").dt.tz_localize(None)
    return parsed


def _binary(series: pd.Series, what: str) -> pd.Series:
    """0/1 (bool, int or float spelling) as int64; anything else names the first bad value."""
    import pandas as pd

    values = pd.to_numeric(series, errors="coerce")
    bad = ~values.isin([0, 1])
    if bad.any():
        row = int(bad.to_numpy().argmax())
        got = _plain(series.iloc[row])
        raise MonitoringInputError(
            f"{what}: column {series.name!r}: expected 0 or 1, got {got!r} at row {row}"
        )
    return values.astype("int64")


def _numbers(series: pd.Series, what: str) -> pd.Series:
    """Numbers (a regression target or prediction); anything else names the first bad value."""
    import pandas as pd

    values = pd.to_numeric(series, errors="coerce")
    bad = values.isna() & series.notna()
    if bad.any():
        row = int(bad.to_numpy().argmax())
        raise MonitoringInputError(
            f"{what}: column {series.name!r}: expected numbers, got "
            f"{_plain(series.iloc[row])!r} at row {row}"
        )
    return values.astype("float64")


def _outputs(settings: MonitorSettings) -> list[str]:
    return [settings.y_pred] if settings.regression else [settings.y_pred_proba, settings.y_pred]


def _labels(series: pd.Series, settings: MonitorSettings, what: str) -> pd.Series:
    return _numbers(series, what) if settings.regression else _binary(series, what)


def _model_outputs(df: pd.DataFrame, settings: MonitorSettings, what: str) -> None:
    import pandas as pd

    if settings.regression:
        df[settings.y_pred] = _numbers(df[settings.y_pred], what)
        return
    proba = pd.to_numeric(df[settings.y_pred_proba], errors="coerce")
    bad = proba.isna() | (proba < 0) | (proba > 1)
    if bad.any():
        row = int(bad.to_numpy().argmax())
        raise MonitoringInputError(
            f"{what}: column {settings.y_pred_proba!r}: expected a probability in [0, 1], "
            f"got {_plain(df[settings.y_pred_proba].iloc[row])!r} at row {row}"
        )
    df[settings.y_pred_proba] = proba.astype("float64")
    df[settings.y_pred] = _binary(df[settings.y_pred], what)


def _ordered(df: pd.DataFrame, order: list[str]) -> pd.DataFrame:
    return df.sort_values(order, kind="stable").reset_index(drop=True)


def _times(timestamp_column: str | None) -> list[str]:
    """The timestamp column as a list: empty for data without one (rows keep their order)."""
    return [timestamp_column] if timestamp_column else []


def prepare_reference(
    reference: pd.DataFrame, data: DataSettings, settings: MonitorSettings
) -> pd.DataFrame:
    """The model's training history with its own predictions and the targets, canonicalised."""
    what = "reference"
    ts, target = data.timestamp_column, data.target_column
    cols = [*_times(ts), *data.features, target, *_outputs(settings)]
    require_columns(reference, cols, what)
    out = canonical_features(
        reference.loc[:, cols], data.numeric_features, data.categorical_features, what
    )
    if ts:
        out[ts] = _timestamps(out[ts], what)
    out[target] = _labels(out[target], settings, what)
    _model_outputs(out, settings, what)
    return _ordered(out, _times(ts))


def prepare_window(
    predictions: pd.DataFrame,
    targets: pd.DataFrame | None,
    data: DataSettings,
    settings: MonitorSettings,
) -> tuple[pd.DataFrame, TargetCoverage]:
    """The prediction window with the delayed targets joined by prediction id (NaN = not yet)."""
    import pandas as pd

    what = "predictions"
    id_col, ts, target = id_name(data), data.timestamp_column, data.target_column
    cols = [id_col, *_times(ts), *data.features, *_outputs(settings)]
    require_columns(predictions, cols, what)
    duplicated = predictions[id_col].duplicated()
    if duplicated.any():
        first = _plain(predictions[id_col][duplicated].iloc[0])
        raise MonitoringInputError(f"{what}: column {id_col!r}: duplicate prediction id {first!r}")
    own_targets = target in predictions.columns
    if own_targets and targets is not None:
        raise MonitoringInputError(
            f"{what}: already has column {target!r}; pass targets separately or joined, not both"
        )
    out = canonical_features(
        predictions.loc[:, cols + ([target] if own_targets else [])],
        data.numeric_features,
        data.categorical_features,
        what,
    )
    if ts:
        out[ts] = _timestamps(out[ts], what)
    _model_outputs(out, settings, what)
    received = int(out[target].notna().sum()) if own_targets else 0
    if own_targets:
        labelled = out[target].notna()
        out.loc[labelled, target] = _labels(out.loc[labelled, target], settings, what)
        out[target] = out[target].astype("float64")
    elif targets is not None:
        table = _target_table(targets, data, settings)
        received = len(table)
        ids, target_ids = _join_keys(out[id_col], table.index.to_series())
        lookup = pd.Series(table.to_numpy(), index=target_ids.to_numpy())
        out[target] = ids.map(lookup).astype("float64")
    else:
        out[target] = float("nan")
    matched = int(out[target].notna().sum())
    coverage = TargetCoverage(
        predictions=len(out),
        targets_received=received,
        matched=matched,
        unmatched_targets=received - matched,
    )
    return (_ordered(out, [ts, id_col]) if ts else out.reset_index(drop=True)), coverage


def _target_table(
    targets: pd.DataFrame, data: DataSettings, settings: MonitorSettings
) -> pd.Series:
    """Arrived targets indexed by prediction id (one per id; repeats must agree)."""
    what = "targets"
    id_col, target = id_name(data), data.target_column
    require_columns(targets, [id_col, target], what, allow_empty=True)
    arrived = targets.loc[targets[target].notna(), [id_col, target]].copy()
    arrived[target] = _labels(arrived[target], settings, what)
    arrived = arrived.drop_duplicates()
    conflict = arrived[id_col].duplicated()
    if conflict.any():
        first = _plain(arrived[id_col][conflict].iloc[0])
        raise MonitoringInputError(
            f"{what}: column {target!r}: conflicting targets for id {first!r}"
        )
    return arrived.set_index(id_col)[target]


def _join_keys(left: pd.Series, right: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Ids compared as numbers when both sides are numeric, else as strings."""
    import pandas as pd

    if pd.api.types.is_numeric_dtype(left) and pd.api.types.is_numeric_dtype(right):
        return left, right
    return left.astype(str), right.astype(str)
