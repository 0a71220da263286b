"""Building each column's contract from the reference data (kinds, nullability, statistics)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from glassbox.quality._contract import ColumnContract, Kind, Role
from glassbox.quality._validate import ContractViolationError
from glassbox.quality._values import Factorized, column_at, label_of, numbers_of

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd


def infer_columns(
    df: pd.DataFrame, roles: dict[str, Role], categorical: set[str], source: str
) -> dict[str, ColumnContract]:
    """One :class:`ColumnContract` per named column, in the order of ``roles``."""
    import pandas as pd

    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"contract: {source}: expected a pandas DataFrame, got {type(df).__name__}")
    problems = [
        f"contract: {source}: column {name!r}: missing (listed as the {role} column)"
        if role != "feature"
        else f"contract: {source}: column {name!r}: missing (listed as a feature)"
        for name, role in roles.items()
        if name not in df.columns
    ]
    if len(df) == 0:
        problems.insert(0, f"contract: {source}: empty table: no rows (expected at least 1 row)")
    if problems:
        raise ContractViolationError(problems)
    return {
        name: _column(column_at(df, name), role, name in categorical)
        for name, role in roles.items()
    }


def _kind(series: pd.Series, role: Role, categorical: bool) -> Kind:
    from pandas.api import types

    if role == "timestamp":
        return "datetime"
    if categorical:
        return "categorical"
    if types.is_bool_dtype(series.dtype):
        return "categorical" if role == "id" else "boolean"
    if types.is_datetime64_any_dtype(series.dtype) and role != "id":
        return "datetime"
    if role == "feature" or types.is_numeric_dtype(series.dtype):
        return "numeric"
    return "categorical"  # text ids, text labels and text predictions


def _column(series: pd.Series, role: Role, categorical: bool) -> ColumnContract:
    from pandas.api import types

    kind = _kind(series, role, categorical)
    dtype = str(series.dtype)
    if kind == "numeric" and not types.is_numeric_dtype(series.dtype):
        dtype = "float64"  # the reference holds bad values; validation reports them
    factorized = Factorized.of(series) if kind == "categorical" else None
    null = factorized.codes < 0 if factorized is not None else series.isna().to_numpy()
    fields: dict[str, object] = {
        "role": role,
        "kind": kind,
        "dtype": dtype,
        "nullable": bool(null.any()),
        "missing_share": float(null.mean()),
    }
    if factorized is not None and role == "feature":
        fields["categories"] = sorted({label_of(v) for v in factorized.uniques})
    if kind == "numeric" and role != "id":
        fields.update(numeric_stats(numbers_of(series)))
    return ColumnContract.model_validate(fields)


def numeric_stats(numbers: np.ndarray) -> dict[str, float]:
    """min, quartiles, max, mean and std of the finite values (empty when there are none).

    Quartiles, mean and std are computed on values scaled into [-1, 1], so columns near the
    float range do not overflow to inf (which JSON cannot carry)."""
    import numpy as np

    finite = numbers[np.isfinite(numbers)]
    if finite.size == 0:
        return {}
    low, high = float(finite.min()), float(finite.max())
    scale = max(abs(low), abs(high)) or 1.0
    scaled = finite / scale
    q1, median, q3 = (float(q) * scale for q in np.quantile(scaled, [0.25, 0.5, 0.75]))
    # interpolation rounding must not break min <= q1 <= median <= q3 <= max
    order = np.maximum.accumulate(np.clip([low, q1, median, q3, high], low, high))
    mean = float(np.mean(scaled) * scale)
    std = float(np.std(scaled, ddof=1 if finite.size > 1 else 0) * scale)
    return {
        "min": float(order[0]),
        "q1": float(order[1]),
        "median": float(order[2]),
        "q3": float(order[3]),
        "max": float(order[4]),
        "mean": min(max(mean, low), high),
        "std": std,
    }
