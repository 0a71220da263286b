"""Which columns are features, of which kind, and the frames the statistics run on.

Features are the columns the two files share, minus the role columns (id, timestamp, target,
probability, prediction). A feature is categorical when the reference holds it as object,
string, category or bool; numeric otherwise (datetimes become seconds since the epoch).

The statistics never see a value they cannot use: a numeric feature's unparsable or infinite
values count as missing for drift (the quality findings report them), and a categorical feature
whose dtype differs between the files is compared by label (``3`` for ``3.0``, ``True`` for
``"True"``). The frames handed to quality checks are the files as read.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from glassbox.check._errors import CheckInputError

if TYPE_CHECKING:
    import pandas as pd

    from glassbox.check._options import Roles

Kind = Literal["numeric", "categorical"]
_SHOWN = 8


def _listing(columns: list[str]) -> str:
    shown = ", ".join(repr(c) for c in columns[:_SHOWN])
    more = f" and {len(columns) - _SHOWN} more" if len(columns) > _SHOWN else ""
    return f"[{shown}{more}]"


def kind_of(series: pd.Series) -> Kind:
    from pandas.api import types

    dtype = series.dtype
    if types.is_bool_dtype(dtype):
        return "categorical"
    if types.is_numeric_dtype(dtype) and not types.is_complex_dtype(dtype):
        return "numeric"
    if types.is_datetime64_any_dtype(dtype) or types.is_timedelta64_dtype(dtype):
        return "numeric"
    return "categorical"


def _labels_like(series: pd.Series) -> bool:
    """A prediction column holding class labels (text, bool, or numbers 0/1 only)."""
    import pandas as pd

    if kind_of(series) == "categorical":
        return True
    return bool(pd.to_numeric(series, errors="coerce").dropna().isin([0, 1]).all())


@dataclass(frozen=True)
class Layout:
    """The columns of a check: features (reference order), their kinds, the model outputs."""

    features: tuple[str, ...]
    kinds: dict[str, Kind]
    outputs: tuple[str, ...]
    only_reference: tuple[str, ...]
    only_current: tuple[str, ...]

    def of(self, kind: Kind, columns: tuple[str, ...] | None = None) -> list[str]:
        return [c for c in (self.features if columns is None else columns) if self.kinds[c] == kind]


def layout(
    reference: pd.DataFrame, current: pd.DataFrame, roles: Roles, sources: tuple[str, str]
) -> Layout:
    """Resolve the columns; unusable inputs raise ``CheckInputError`` naming file and column."""
    for frame, where, source in (
        (reference, "reference", sources[0]),
        (current, "current", sources[1]),
    ):
        if len(frame) == 0:
            raise CheckInputError(f"{where} data {source}: no rows (expected at least 1)")
        named = next((c for c in frame.columns if not isinstance(c, str)), None)
        if named is not None:
            raise CheckInputError(
                f"{where} data {source}: column names must be strings, got {named!r}"
            )
    ref_cols, cur_cols = list(reference.columns), list(current.columns)
    _check_roles(roles, ref_cols, cur_cols, sources)
    in_current = set(cur_cols)
    common = [c for c in ref_cols if c in in_current]
    if not common:
        raise CheckInputError(
            f"no columns in common between reference {sources[0]} {_listing(ref_cols)} "
            f"and current {sources[1]} {_listing(cur_cols)}"
        )
    role_columns = set(roles.named().values())
    features = tuple(c for c in common if c not in role_columns)
    if not features:
        raise CheckInputError(
            f"no feature columns: the columns {sources[0]} and {sources[1]} share "
            f"{_listing(common)} are all role columns (--id/--timestamp/--target/--proba/"
            "--prediction)"
        )
    kinds: dict[str, Kind] = {c: kind_of(reference[c]) for c in ref_cols if c not in role_columns}
    if roles.proba is not None:
        kinds[roles.proba] = "numeric"
    if roles.prediction is not None:  # a class label, unless a regression model's number
        regression = roles.proba is None and not _labels_like(reference[roles.prediction])
        kinds[roles.prediction] = (
            kind_of(reference[roles.prediction]) if regression else "categorical"
        )
    in_reference = set(ref_cols)
    return Layout(
        features=features,
        kinds=kinds,
        outputs=roles.outputs,
        only_reference=tuple(c for c in ref_cols if c not in in_current and c not in role_columns),
        only_current=tuple(c for c in cur_cols if c not in in_reference and c not in role_columns),
    )


def _check_roles(
    roles: Roles, ref_cols: list[str], cur_cols: list[str], sources: tuple[str, str]
) -> None:
    for role, column in roles.named().items():
        places = [("reference", ref_cols, sources[0])]
        if role != "target":  # labels of the current data may not have arrived yet
            places.append(("current", cur_cols, sources[1]))
        for where, columns, source in places:
            if column not in columns:
                raise CheckInputError(
                    f"--{role} {column!r}: no such column in the {where} data {source} "
                    f"(columns: {_listing(columns)})"
                )


@dataclass
class Prepared:
    """Frames the statistics run on, and what preparing them noticed."""

    reference: pd.DataFrame
    current: pd.DataFrame
    columns: tuple[str, ...]  # features and outputs the statistics can use
    empty_reference: tuple[str, ...]  # no non-missing reference value: not compared
    notes: list[str] = field(default_factory=list)


def prepare(reference: pd.DataFrame, current: pd.DataFrame, lay: Layout) -> Prepared:
    """Shallow copies of both frames whose feature and output columns the statistics accept."""
    ref, cur = reference.copy(deep=False), current.copy(deep=False)
    notes: list[str] = []
    usable, empty = [], []
    for name in (*lay.features, *lay.outputs):
        if lay.kinds[name] == "numeric":
            pair = [_numbers(frame[name]) for frame in (ref, cur)]
            for i, where in enumerate(("reference", "current")):
                pair[i], infinite = _finite(pair[i])
                if infinite:
                    notes.append(
                        f"column {name!r}: {infinite} infinite value(s) in the {where} data "
                        "counted as missing for drift"
                    )
        else:
            pair = [ref[name], cur[name]]
            if ref[name].dtype != cur[name].dtype:
                pair = [_labels(ref[name]), _labels(cur[name])]
        for frame, series in zip((ref, cur), pair, strict=True):
            if series is not frame[name]:
                frame[name] = series  # a new column in the copy: the caller's frame is untouched
        if bool(pair[0].notna().any()):
            usable.append(name)
        else:
            empty.append(name)
    return Prepared(ref, cur, tuple(usable), tuple(empty), notes)


def _numbers(series: pd.Series) -> pd.Series:
    """float64 (or the numeric column as is); NaN where a value is not a number."""
    import numpy as np
    import pandas as pd
    from pandas.api import types

    dtype = series.dtype
    if types.is_bool_dtype(dtype):
        return pd.Series(np.nan, index=series.index, dtype="float64")
    if types.is_numeric_dtype(dtype) and not types.is_complex_dtype(dtype):
        return series
    if types.is_datetime64_any_dtype(dtype):
        moments = series.dt.tz_convert("UTC").dt.tz_localize(None) if series.dt.tz else series
        return (moments - pd.Timestamp(0)) / pd.Timedelta(seconds=1)
    if types.is_timedelta64_dtype(dtype):
        return series / pd.Timedelta(seconds=1)
    values = pd.to_numeric(series.astype(object), errors="coerce")
    if types.is_bool_dtype(values.dtype) or not types.is_numeric_dtype(values.dtype):
        return pd.Series(np.nan, index=series.index, dtype="float64")
    return values.astype("float64")


def _finite(series: pd.Series) -> tuple[pd.Series, int]:
    import numpy as np

    values = series.to_numpy(dtype="float64", na_value=np.nan)
    infinite = np.isinf(values)
    count = int(infinite.sum())
    if not count:
        return series, 0
    return series.where(~infinite), count


def label_of(value: Any) -> str:
    """The label a category is compared by across dtypes: ``3`` for 3.0, ``True`` for a bool."""
    import numpy as np

    if isinstance(value, bool | np.bool_):
        return "True" if value else "False"
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating) and math.isfinite(value) and value == int(value):
        return str(int(value))
    return str(value)


def _labels(series: pd.Series) -> pd.Series:
    import numpy as np
    import pandas as pd

    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    mapped = np.array([label_of(u) for u in uniques] + [None], dtype=object)
    return pd.Series(mapped[codes], index=series.index, dtype=object)
