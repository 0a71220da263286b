"""Building each column's contract from the reference data (kinds, nullability, statistics),
and guessing each column's kind for ``glassbox init`` from the same dtype rules."""

from __future__ import annotations

from dataclasses import dataclass
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


def dtype_kind(series: pd.Series) -> Kind:
    """The kind a column's dtype holds: bool → boolean, datetime → datetime, numbers → numeric,
    anything else (text, mixed) → categorical. The contract and ``glassbox init`` both start
    from this."""
    from pandas.api import types

    if types.is_bool_dtype(series.dtype):
        return "boolean"
    if types.is_datetime64_any_dtype(series.dtype):
        return "datetime"
    if types.is_numeric_dtype(series.dtype):
        return "numeric"
    return "categorical"


def _kind(series: pd.Series, role: Role, categorical: bool) -> Kind:
    if role == "timestamp":
        return "datetime"
    if categorical:
        return "categorical"
    kind = dtype_kind(series)
    if kind == "boolean":
        return "categorical" if role == "id" else "boolean"
    if kind == "datetime" and role != "id":
        return "datetime"
    if role == "feature" or kind == "numeric":
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


# glassbox init: which columns of a user's file become which kind of feature, and why.
MAX_SHOWN_CATEGORIES = 4
# Text columns with more distinct values than this *and* one per two rows or more are names,
# free text or identifiers: a production batch would be full of categories never seen.
MAX_CATEGORIES = 100


@dataclass(frozen=True)
class FeatureGuess:
    """What ``glassbox init`` makes of one column: ``kind`` numeric/categorical and the
    ``reason`` (what the values look like), or ``kind`` None: left out for ``reason`` (ids,
    timestamps, free text), or unusable for ``problem`` (constant, missing values)."""

    name: str
    kind: Kind | None
    reason: str
    problem: str | None = None


def guess_feature(series: pd.Series, name: str) -> FeatureGuess:
    """Numeric or categorical (with the reason), excluded (with the reason) or a problem."""
    rows = len(series)
    factorized = Factorized.of(series)
    null = factorized.codes < 0
    distinct = len(factorized.uniques)
    if distinct == 0:
        return FeatureGuess(name, None, "", f"column {name!r}: all {rows} values are missing")
    if distinct == 1:
        value = label_of(factorized.uniques[0])
        problem = f"column {name!r}: every value is {value!r}: a constant carries no signal"
        return FeatureGuess(name, None, "", problem)
    if null.any():
        first = int(null.argmax())
        return FeatureGuess(
            name,
            None,
            "",
            f"column {name!r}: {int(null.sum())} missing value(s) (first at row {first}); "
            "features must be complete",
        )
    return _guess_present(series, name, factorized)


def _guess_present(series: pd.Series, name: str, factorized: Factorized) -> FeatureGuess:
    from pandas.api import types

    rows, distinct = len(series), len(factorized.uniques)
    kind = dtype_kind(series)
    if kind == "boolean":
        return FeatureGuess(name, "categorical", "true/false values")
    if kind == "datetime" or (kind == "categorical" and _iso_timestamps(factorized)):
        return FeatureGuess(name, None, "timestamps")
    if kind == "numeric":
        if types.is_integer_dtype(series.dtype) and distinct == rows and rows > MAX_CATEGORIES:
            return FeatureGuess(name, None, f"{distinct:,} distinct integers, one per row (an id?)")
        return FeatureGuess(name, "numeric", f"{series.dtype}, {distinct:,} distinct values")
    if distinct > MAX_CATEGORIES and distinct * 2 >= rows:
        return FeatureGuess(
            name,
            None,
            f"{distinct:,} distinct strings in {rows:,} rows (an identifier or free text?)",
        )
    labels = sorted(label_of(v) for v in factorized.uniques)
    shown = ", ".join(labels[:MAX_SHOWN_CATEGORIES])
    more = ", ..." if distinct > MAX_SHOWN_CATEGORIES else ""
    return FeatureGuess(name, "categorical", f"{distinct} distinct strings ({shown}{more})")


def _iso_timestamps(values: Factorized) -> bool:
    """Whether every distinct text value is an ISO-8601 date or date-time."""
    import pandas as pd

    texts = [str(v) for v in values.uniques]
    if not all("-" in t and t[:1].isdigit() for t in texts):
        return False
    try:
        pd.to_datetime(pd.Series(texts), format="ISO8601")
    except (ValueError, TypeError, OverflowError):
        return False
    return True
