"""Checks of the columns a user names on ``glassbox init``: target, id, timestamp, exclusions.

Each raises :class:`InitError` with one line naming the file, the column and what was expected.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from glassbox.errors import GlassboxError

if TYPE_CHECKING:
    import pandas as pd

MAX_LISTED = 8
BINARY_LABELS = ({0, 1}, {False, True})


class InitError(GlassboxError):
    """``glassbox init`` cannot build settings from these inputs (one line says why)."""


def listing(names: list[str]) -> str:
    shown = ", ".join(names[:MAX_LISTED])
    return shown + (f", ... ({len(names)} in all)" if len(names) > MAX_LISTED else "")


def require_column(df: pd.DataFrame, name: str, option: str, source: str) -> None:
    if name not in df.columns:
        columns = listing([str(c) for c in df.columns])
        raise InitError(f"{option} {name!r}: no such column in {source} (columns: {columns})")


def check_target(df: pd.DataFrame, name: str, source: str) -> str:
    """Two classes spelt 0/1 or true/false, no missing label; returns the class counts."""
    require_column(df, name, "--target", source)
    labels = df[name]
    missing = labels.isna()
    if missing.any():
        raise InitError(
            f"--target {name!r}: {int(missing.sum())} missing label(s) in {source} "
            f"(first at row {int(missing.to_numpy().argmax())}); every training row needs one"
        )
    counts = labels.value_counts(sort=False).sort_index()
    classes = [_plain(v) for v in counts.index]
    if len(classes) != 2:
        shown = listing([repr(c) for c in classes])
        raise InitError(
            f"--target {name!r}: {len(classes)} class(es) ({shown}) in {source}; Glassbox trains "
            "binary classifiers: expected exactly 2"
        )
    if not any(set(classes) == allowed for allowed in BINARY_LABELS):
        raise InitError(
            f"--target {name!r}: labels {classes[0]!r} and {classes[1]!r}; expected 0/1 or "
            "true/false (map the positive class to 1 first)"
        )
    return ", ".join(f"{_plain(k)!r}: {int(n):,} rows" for k, n in counts.items())


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
