"""Reading a column as the kind its contract expects: which values are missing, which are bad.

Shared by the pipeline's validation (which raises) and the monitoring findings (which grade),
so both agree on what "a string in a numeric column" or "an unparsable timestamp" means.
Everything is vectorised; per-value Python work only touches the distinct values.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from glassbox.quality._contract import ColumnContract

_BOOL_LABELS = frozenset({"True", "False", "true", "false", "TRUE", "FALSE", "1", "0"})


@dataclass(frozen=True)
class Coerced:
    """A column read as its expected kind.

    ``null``: missing in the input (NaN, None, NaT). ``bad``: present but not a value of the
    expected kind (a string in a numeric column, an unparsable timestamp). ``type_error``: the
    dtype itself cannot hold the kind (bool or datetime where numbers are expected); then every
    present value is bad. ``numbers``: float64 values for numeric columns (NaN where null or bad).
    """

    null: np.ndarray
    bad: np.ndarray
    type_error: str | None = None
    numbers: np.ndarray | None = None
    factorized: Factorized | None = None


@dataclass(frozen=True)
class Factorized:
    """A column as codes into its distinct values (``-1`` where missing): one hashing pass
    gives the missing mask, the distinct values and any row mask over them."""

    codes: np.ndarray
    uniques: np.ndarray

    @classmethod
    def of(cls, series: pd.Series) -> Factorized:
        import numpy as np
        import pandas as pd

        codes, uniques = pd.factorize(series, use_na_sentinel=True)
        return cls(codes=np.asarray(codes), uniques=np.asarray(uniques, dtype=object))


def label_of(value: Any) -> str:
    """The string label a category value is compared by: ``True``, ``3`` (for 3.0), ``'40%'``."""
    import numpy as np

    if isinstance(value, bool | np.bool_):
        return "True" if value else "False"
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating) and math.isfinite(value) and value == int(value):
        return str(int(value))
    return str(value)


def shown(value: Any, limit: int = 40) -> str:
    """A value as it appears in a message: its repr, shortened."""
    text = repr(value.item() if hasattr(value, "item") and not isinstance(value, str) else value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def first_row(mask: np.ndarray) -> int:
    """Position (0-based data row, header excluded) of the first True in ``mask``."""
    import numpy as np

    return int(np.flatnonzero(mask)[0])


def column_at(df: pd.DataFrame, name: str) -> pd.Series:
    """The column called ``name`` (its first occurrence when the name is repeated)."""
    positions = [i for i, col in enumerate(df.columns) if col == name]
    return df.iloc[:, positions[0]]


def repeated_names(df: pd.DataFrame) -> list[str]:
    """Column names that appear more than once, in order of first appearance."""
    return list(dict.fromkeys(str(c) for c in df.columns[df.columns.duplicated()]))


def coerce(series: pd.Series, column: ColumnContract) -> Coerced:
    """Read ``series`` as ``column.kind`` (categorical columns accept any value)."""
    if column.kind == "numeric":
        return _numeric(series)
    if column.kind == "datetime":
        return _datetime(series)
    factorized = Factorized.of(series)
    null = factorized.codes < 0
    if column.kind == "boolean":
        return _boolean(series, factorized)
    return Coerced(null=null, bad=_none(null), factorized=factorized)


def unseen(values: Factorized, allowed: frozenset[str]) -> tuple[np.ndarray, list[str]]:
    """Rows whose label is not in ``allowed``, and those labels, most frequent first."""
    import numpy as np

    bad_codes = [i for i, value in enumerate(values.uniques) if label_of(value) not in allowed]
    if not bad_codes:
        return _none(values.codes), []
    counts = np.bincount(values.codes[values.codes >= 0], minlength=len(values.uniques))
    bad_codes.sort(key=lambda code: -counts[code])
    mask = np.isin(values.codes, bad_codes)
    labels = [label_of(values.uniques[code]) for code in bad_codes]
    return mask, list(dict.fromkeys(labels))


def numbers_of(series: pd.Series) -> np.ndarray:
    """The column as float64 (NaN where missing or not a number)."""
    import numpy as np

    numbers = _numeric(series).numbers
    return numbers if numbers is not None else np.full(len(series), np.nan)


def _none(like: np.ndarray) -> np.ndarray:
    import numpy as np

    return np.zeros(len(like), dtype=bool)


def _numeric(series: pd.Series) -> Coerced:
    import numpy as np
    import pandas as pd
    from pandas.api import types

    null = series.isna().to_numpy()
    if types.is_bool_dtype(series.dtype):
        return Coerced(null=null, bad=~null, type_error=str(series.dtype))
    if types.is_numeric_dtype(series.dtype):
        numbers = series.to_numpy(dtype="float64", na_value=np.nan)
        return Coerced(null=null, bad=_none(null), numbers=numbers)
    if types.is_datetime64_any_dtype(series.dtype) or types.is_timedelta64_dtype(series.dtype):
        return Coerced(null=null, bad=~null, type_error=str(series.dtype))
    values = series.astype(object)
    try:
        converted = pd.to_numeric(values, errors="coerce")
        numbers = np.asarray(converted, dtype="float64")
    except (TypeError, ValueError):
        numbers = np.full(len(series), np.nan)
    # Python bools inside an object column are not numbers either.
    is_bool = _python_bools(values)
    bad = (np.isnan(numbers) & ~null) | is_bool
    numbers[is_bool] = np.nan
    return Coerced(null=null, bad=bad, numbers=numbers)


def _python_bools(values: pd.Series) -> np.ndarray:
    import numpy as np
    from pandas.api import types

    if types.infer_dtype(values, skipna=True) in (
        "string",
        "empty",
        "floating",
        "integer",
        "mixed-integer-float",
        "decimal",
    ):
        return _none(values.to_numpy())
    return values.map(type, na_action="ignore").isin([bool, np.bool_]).to_numpy()


def _datetime(series: pd.Series) -> Coerced:
    import numpy as np
    from pandas.api import types

    null = series.isna().to_numpy()
    if types.is_datetime64_any_dtype(series.dtype):
        return Coerced(null=null, bad=_none(null))
    if types.is_numeric_dtype(series.dtype) or types.is_bool_dtype(series.dtype):
        return Coerced(null=null, bad=~null, type_error=str(series.dtype))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "could not infer format": the retry below handles it
        bad = _unparsable(series, None) & ~null
        if bad.any():  # a second format in the column: parse just those values one by one
            still = _unparsable(series[bad], "mixed")
            bad[np.flatnonzero(bad)[~still]] = False
    # numbers inside an object column would parse as epoch nanoseconds: not timestamps
    return Coerced(null=null, bad=bad | _python_numbers(series))


def _python_numbers(series: pd.Series) -> np.ndarray:
    """True where an object column holds a Python/numpy number or bool rather than text."""
    import numpy as np
    from pandas.api import types

    if types.infer_dtype(series, skipna=True) in ("string", "empty"):
        return _none(series.to_numpy())
    kinds = series.map(type, na_action="ignore")
    return kinds.isin([int, float, bool, np.int64, np.float64, np.bool_]).to_numpy()


def _unparsable(values: pd.Series, fmt: str | None) -> np.ndarray:
    """True where ``values`` could not be parsed as a timestamp."""
    import numpy as np
    import pandas as pd

    try:
        parsed = pd.to_datetime(values, errors="coerce", utc=True, format=fmt)
    except (TypeError, ValueError, OverflowError):
        return np.ones(len(values), dtype=bool)
    return np.asarray(parsed.isna())


def _boolean(series: pd.Series, factorized: Factorized) -> Coerced:
    from pandas.api import types

    null = factorized.codes < 0
    if types.is_bool_dtype(series.dtype):
        return Coerced(null=null, bad=_none(null), factorized=factorized)
    mask, _ = unseen(factorized, _BOOL_LABELS)
    return Coerced(null=null, bad=mask, factorized=factorized)
