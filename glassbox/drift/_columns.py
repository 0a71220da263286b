"""Column extraction: float64 views for numeric columns, integer codes for categorical ones.

Every function names the column (and the data set: "reference", "current", "shard") in its
``DriftInputError`` so a failed nightly check says exactly what to fix.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from glassbox.drift._errors import DriftInputError
from glassbox.drift._stats import FloatArray, IntArray

if TYPE_CHECKING:
    import pandas as pd

Category = str | int | float | bool
"""Category values a profile can store (they round-trip through JSON unchanged)."""

_NUMERIC_OBJECT_TYPES = {"integer", "floating", "mixed-integer-float", "decimal", "empty"}


def require_frame(frame: object, where: str) -> pd.DataFrame:
    """The input as a DataFrame with at least one row, else ``DriftInputError``."""
    import pandas as pd

    if not isinstance(frame, pd.DataFrame):
        raise DriftInputError(
            f"{where} data must be a pandas DataFrame, got {type(frame).__name__}"
        )
    if len(frame) == 0:
        raise DriftInputError(f"{where} data is empty (0 rows): nothing to compare")
    return frame


def column(frame: pd.DataFrame, name: str, where: str) -> pd.Series:
    if name not in frame.columns:
        raise DriftInputError(f"column {name!r} is missing from the {where} data")
    series = frame[name]
    if not hasattr(series, "dtype"):  # duplicated column labels return a DataFrame
        raise DriftInputError(f"column {name!r} appears more than once in the {where} data")
    return series


def numeric_values(frame: pd.DataFrame, name: str, where: str) -> FloatArray:
    """The column as float64 (a view when it already is float64); NaN marks missing values."""
    import pandas as pd

    series = column(frame, name, where)
    dtype = series.dtype
    if isinstance(dtype, np.dtype) and dtype.kind in "fiub":
        return np.asarray(series.to_numpy(dtype=np.float64, copy=False))
    if pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_complex_dtype(dtype):
        # pandas nullable / arrow numeric dtypes: missing values become NaN
        return np.asarray(series.to_numpy(dtype=np.float64, na_value=np.nan))
    if (
        pd.api.types.is_object_dtype(dtype)
        and pd.api.types.infer_dtype(series, skipna=True) in _NUMERIC_OBJECT_TYPES
    ):
        return np.asarray(pd.to_numeric(series).to_numpy(dtype=np.float64, na_value=np.nan))
    example = _first_non_numeric(series)
    raise DriftInputError(
        f"column {name!r} in the {where} data must be numeric, got dtype {dtype}"
        + (f" (e.g. value {example!r})" if example is not None else "")
    )


def _first_non_numeric(series: pd.Series) -> object:
    for value in series.head(1000):
        if value is None or (isinstance(value, float) and math.isnan(value)):
            continue
        if not isinstance(value, int | float | np.number) or isinstance(value, bool):
            return value
    return None


def sorted_finite(values: FloatArray, name: str, where: str) -> tuple[FloatArray, int]:
    """A sorted copy without NaN (NaN sorts last) and the number of missing values.

    Infinite values are rejected: they make the mean, the Wasserstein distance and the quantile
    edges meaningless and usually mean a division by zero upstream.
    """
    finite, missing = _sort_tail(np.empty(values.size), 0, values, name, where)
    if finite.size < values.size // 2:
        finite = finite.copy()  # do not keep a mostly-NaN buffer alive
    return finite, missing


def joined_sorted(
    prefix: FloatArray, values: FloatArray, name: str, where: str
) -> tuple[FloatArray, int]:
    """``prefix`` followed by the sorted finite ``values`` in one buffer, and the missing count.

    Sorting the current column directly into the buffer that the KS/Wasserstein merge needs
    saves one full copy of the column per calculation.
    """
    buffer = np.empty(prefix.size + values.size)
    buffer[: prefix.size] = prefix
    finite, missing = _sort_tail(buffer, prefix.size, values, name, where)
    return buffer[: prefix.size + finite.size], missing


def _sort_tail(
    buffer: FloatArray, start: int, values: FloatArray, name: str, where: str
) -> tuple[FloatArray, int]:
    tail = buffer[start:]
    tail[:] = values
    tail.sort()
    valid = int(np.searchsorted(tail, np.nan, side="left"))
    finite = tail[:valid]
    if valid and (math.isinf(finite[0]) or math.isinf(finite[-1])):
        raise DriftInputError(
            f"column {name!r} in the {where} data contains infinite values; "
            "expected finite numbers or NaN for missing"
        )
    return finite, values.size - valid


@dataclass(frozen=True)
class CategoryCounts:
    """Counts of a categorical column over the reference categories."""

    counts: IntArray
    unseen: int
    missing: int

    @property
    def n(self) -> int:
        return int(self.counts.sum()) + self.unseen


def category_value(value: Any, name: str) -> Category:
    """A category as a JSON-native Python value, else ``DriftInputError``."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bool | int | float | str):
        return value
    raise DriftInputError(
        f"column {name!r}: category {value!r} of type {type(value).__name__} is not supported; "
        "expected str, int, float or bool values"
    )


def reference_categories(frame: pd.DataFrame, name: str) -> tuple[tuple[Category, ...], IntArray]:
    """Distinct non-missing values of a reference column (deterministic order) and their counts."""
    series = column(frame, name, "reference")
    counts = series.value_counts(dropna=True, sort=False)
    pairs = [(category_value(value, name), int(count)) for value, count in counts.items()]
    if not pairs:
        raise DriftInputError(
            f"column {name!r} in the reference data has no non-missing values; cannot profile it"
        )
    pairs.sort(key=lambda pair: (type(pair[0]).__name__, str(pair[0])))
    return tuple(p[0] for p in pairs), np.array([p[1] for p in pairs], dtype=np.int64)


def count_categories(
    frame: pd.DataFrame, name: str, categories: Sequence[Category], where: str
) -> CategoryCounts:
    """Counts over ``categories`` (codes via pandas' hash table, no per-row Python)."""
    import pandas as pd

    series = column(frame, name, where)
    missing = int(series.isna().sum())
    if isinstance(series.dtype, pd.CategoricalDtype):
        known = pd.Index(list(categories))
        remap = np.append(known.get_indexer(series.cat.categories), -1)
        codes = remap[series.cat.codes.to_numpy()]
    else:
        codes = pd.Categorical(series, categories=list(categories)).codes
    binned = np.bincount(np.asarray(codes, dtype=np.int64) + 1, minlength=len(categories) + 1)
    return CategoryCounts(
        counts=binned[1:].astype(np.int64), unseen=int(binned[0]) - missing, missing=missing
    )
