"""Checks of the columns a user names on ``glassbox init``: target, id, timestamp, exclusions.

Each raises :class:`InitError` with one line naming the file, the column and what was expected.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from glassbox.errors import GlassboxError

if TYPE_CHECKING:
    import pandas as pd

    from glassbox.config import Task

MAX_LISTED = 8
BINARY_LABELS = ({0, 1}, {False, True})
# With --task auto, a numeric target with at most this many distinct integers is taken for
# class labels (a classifier), not for a number to predict.
MAX_CODES = 10


class InitError(GlassboxError):
    """``glassbox init`` cannot build settings from these inputs (one line says why)."""


def listing(names: list[str]) -> str:
    shown = ", ".join(names[:MAX_LISTED])
    return shown + (f", ... ({len(names)} in all)" if len(names) > MAX_LISTED else "")


def require_column(df: pd.DataFrame, name: str, option: str, source: str) -> None:
    if name not in df.columns:
        columns = listing([str(c) for c in df.columns])
        raise InitError(f"{option} {name!r}: no such column in {source} (columns: {columns})")


def check_target(df: pd.DataFrame, name: str, source: str, task: str = "auto") -> tuple[Task, str]:
    """The model's task and a summary of the target. Classification: two classes spelt 0/1 or
    true/false; regression: numbers that vary. ``auto``: regression when the target is numeric
    with more than :data:`MAX_CODES` distinct values or any fraction (a handful of integers is
    more likely class labels: ``--task regression`` says otherwise). No missing value either
    way."""
    require_column(df, name, "--target", source)
    labels = df[name]
    missing = labels.isna()
    if missing.any():
        raise InitError(
            f"--target {name!r}: {int(missing.sum())} missing label(s) in {source} "
            f"(first at row {int(missing.to_numpy().argmax())}); every training row needs one"
        )
    if task == "regression" or (task == "auto" and _numeric_target(labels)):
        return "regression", _numbers(labels, name, source)
    return "classification", _classes(labels, name, source)


def _numeric_target(labels: pd.Series) -> bool:
    import numpy as np
    from pandas.api import types

    if types.is_bool_dtype(labels.dtype) or not types.is_numeric_dtype(labels.dtype):
        return False
    values = labels.to_numpy(dtype="float64")
    return bool(np.unique(values).size > MAX_CODES or (values != np.round(values)).any())


def _numbers(labels: pd.Series, name: str, source: str) -> str:
    """A regression target: numbers (not booleans) that are not all the same."""
    import pandas as pd

    from glassbox.quality._values import shown

    if pd.api.types.is_bool_dtype(labels.dtype):
        raise InitError(
            f"--target {name!r}: true/false labels in {source}; a regression target is a "
            "number (without --task regression they train a classifier)"
        )
    values = pd.to_numeric(labels, errors="coerce")
    bad = values.isna()
    if bad.any():
        row = int(bad.to_numpy().argmax())
        raise InitError(
            f"--target {name!r}: expected numbers for a regression target in {source}, got "
            f"{shown(labels.iloc[row])} at row {row}"
        )
    if values.nunique() < 2:
        raise InitError(
            f"--target {name!r}: every value is {_plain(values.iloc[0])!r} in {source}; "
            "nothing to predict"
        )
    return (
        f"numbers from {values.min():g} to {values.max():g} (median {values.median():g}, "
        f"{values.nunique():,} distinct)"
    )


def _classes(labels: pd.Series, name: str, source: str) -> str:
    """A binary label: two classes spelt 0/1 or true/false; returns the class counts."""
    counts = labels.value_counts(sort=False).sort_index()
    classes = [_plain(v) for v in counts.index]
    if len(classes) != 2:
        shown = listing([repr(c) for c in classes])
        raise InitError(
            f"--target {name!r}: {len(classes)} class(es) ({shown}) in {source}; a classifier "
            "needs exactly 2 (Glassbox trains binary classifiers); --task regression predicts "
            "a number instead"
        )
    if not any(set(classes) == allowed for allowed in BINARY_LABELS):
        raise InitError(
            f"--target {name!r}: labels {classes[0]!r} and {classes[1]!r}; expected 0/1 or "
            "true/false (map the positive class to 1 first)"
        )
    return (
        "2 classes ("
        + ", ".join(f"{_plain(k)!r}: {int(n):,} rows" for k, n in counts.items())
        + ")"
    )


def _plain(value: object) -> object:
    item = getattr(value, "item", None)
    return item() if callable(item) else value


def check_id(df: pd.DataFrame, name: str, source: str) -> None:
    require_column(df, name, "--id", source)
    ids = df[name]
    if ids.isna().any():
        row = int(ids.isna().to_numpy().argmax())
        raise InitError(f"--id {name!r}: missing id at row {row} of {source}; expected one per row")
    repeated = ids.duplicated(keep=False)
    if repeated.any():
        first = _plain(ids[repeated].iloc[0])
        raise InitError(
            f"--id {name!r}: {int(ids[repeated].nunique())} id(s) appear more than once in "
            f"{source} (first {first!r}); expected unique ids"
        )


def check_timestamp(df: pd.DataFrame, name: str, source: str) -> None:
    import pandas as pd

    from glassbox.quality._values import shown

    require_column(df, name, "--timestamp", source)
    values = df[name]
    parsed = pd.to_datetime(values, format="ISO8601", errors="coerce")
    bad = parsed.isna() & values.notna()
    if bad.any():
        row = int(bad.to_numpy().argmax())
        raise InitError(
            f"--timestamp {name!r}: expected ISO-8601 timestamps in {source}, got "
            f"{shown(values.iloc[row])} at row {row} ({int(bad.sum())} bad value(s) in all)"
        )
    if values.isna().any():
        row = int(values.isna().to_numpy().argmax())
        raise InitError(f"--timestamp {name!r}: missing timestamp at row {row} of {source}")


def check_distinct_roles(target: str, id_column: str | None, timestamp: str | None) -> None:
    named = [("--target", target), ("--id", id_column), ("--timestamp", timestamp)]
    seen: dict[str, str] = {}
    for option, column in named:
        if column is None:
            continue
        if column in seen:
            raise InitError(f"{option} {column!r}: already given as {seen[column]}")
        seen[column] = option


def check_reserved(df: pd.DataFrame, reserved: dict[str, str], source: str) -> None:
    """A column named like one Glassbox adds (``row_id``, ``scored_at``) would be overwritten."""
    for column, option in reserved.items():
        if column in df.columns:
            raise InitError(
                f"column {column!r} in {source}: Glassbox adds a column of that name when the "
                f"data has no {option[2:]} column; pass {option} {column} to use it, or rename it"
            )
