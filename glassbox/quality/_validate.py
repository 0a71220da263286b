"""Checking a batch against the contract before the pipeline uses it: stop with every problem."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from glassbox.errors import DataValidationError
from glassbox.quality._values import (
    Coerced,
    Factorized,
    coerce,
    column_at,
    first_row,
    repeated_names,
    shown,
    unseen,
)

if TYPE_CHECKING:
    import pandas as pd

    from glassbox.quality._contract import ColumnContract, DataContract

MAX_UNSEEN_SHOWN = 5
MAX_ALLOWED_SHOWN = 20


class ContractViolationError(DataValidationError):
    """A batch breaks its data contract; ``problems`` holds one line per problem found.

    The message is those lines joined by newlines, each of the form
    ``validate: <source>: column '<name>': expected ..., got ...``.
    """

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems: tuple[str, ...] = tuple(problems)
        super().__init__("\n".join(self.problems))


def validate_batch(df: pd.DataFrame, contract: DataContract, *, source: str) -> None:
    """Raise :class:`ContractViolationError` listing every way ``df`` breaks ``contract``.

    Checks: no rows; a repeated column name; a missing required column; values of the wrong
    kind (text in a numeric column, unparsable timestamps, non-booleans); missing values in a
    column the reference has none in; ±inf in a numeric column; categories the reference never
    had; duplicate ids. Rows are 0-based data rows (``df.iloc[row]``). Columns the contract does
    not know are ignored.
    """
    import pandas as pd

    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"validate: {source}: expected a pandas DataFrame, got {type(df).__name__}")
    problems = [f"validate: {source}: {problem}" for problem in _problems(df, contract)]
    if problems:
        raise ContractViolationError(problems)


def _problems(df: pd.DataFrame, contract: DataContract) -> Iterator[str]:
    if len(df) == 0:
        yield "empty table: no rows (expected at least 1 row)"
    for name in repeated_names(df):
        count = sum(1 for col in df.columns if str(col) == name)
        yield f"column {name!r}: appears {count} times (expected unique column names)"
    for name in contract.required_columns:
        if name not in df.columns:
            column = contract.columns[name]
            yield f"column {name!r}: missing (expected a {column.role} column, {column.describe()})"
    for name, column in contract.columns.items():
        if name in df.columns:
            for problem in _column_problems(column_at(df, name), column):
                yield f"column {name!r}: {problem}"


def _column_problems(series: pd.Series, column: ColumnContract) -> Iterator[str]:
    values = coerce(series, column)
    if values.type_error is not None:
        yield f"expected {column.describe()}, got {values.type_error}"
        return
    yield from _bad_values(series, column, values)
    yield from _missing(series, column, values)
    yield from _infinite(series, values)
    if column.categories is not None and values.factorized is not None:
        yield from _unknown_categories(values.factorized, column.categories)
    if column.role == "id":
        yield from _duplicates(series, values)


def _bad_values(series: pd.Series, column: ColumnContract, values: Coerced) -> Iterator[str]:
    if not values.bad.any():
        return
    row = first_row(values.bad)
    count = int(values.bad.sum())
    more = f"; {count} bad values in all" if count > 1 else ""
    got = "unparsable timestamps" if column.kind == "datetime" else str(series.dtype)
    yield (
        f"expected {column.describe()}, got {got} "
        f"(first bad value {shown(series.iloc[row])} at row {row}{more})"
    )


def _missing(series: pd.Series, column: ColumnContract, values: Coerced) -> Iterator[str]:
    if column.nullable or not values.null.any():
        return
    count = int(values.null.sum())
    row = first_row(values.null)
    if column.kind == "numeric":
        got = f"{count} NaN (first at row {row})"
    else:
        got = f"{count} missing (first {shown(series.iloc[row])} at row {row})"
    yield f"expected no missing values (the reference has none), got {got}"


def _infinite(series: pd.Series, values: Coerced) -> Iterator[str]:
    import numpy as np

    if values.numbers is None:
        return
    infinite = np.isinf(values.numbers)
    if infinite.any():
        row = first_row(infinite)
        yield (
            f"expected finite numbers, got {int(infinite.sum())} ±inf "
            f"(first {shown(series.iloc[row])} at row {row})"
        )


def _unknown_categories(values: Factorized, categories: list[str]) -> Iterator[str]:
    mask, labels = unseen(values, frozenset(categories))
    if not labels:
        return
    named = ", ".join(repr(label) for label in labels[:MAX_UNSEEN_SHOWN])
    if len(labels) > MAX_UNSEEN_SHOWN:
        named += f" and {len(labels) - MAX_UNSEEN_SHOWN} more"
    allowed = ", ".join(repr(c) for c in categories[:MAX_ALLOWED_SHOWN])
    if len(categories) > MAX_ALLOWED_SHOWN:
        allowed += f", ... ({len(categories)} in all)"
    yield (
        f"unknown categories {named} in {_rows(int(mask.sum()))} (first at row {first_row(mask)}); "
        f"expected one of {allowed}"
    )


def _rows(count: int) -> str:
    return "1 row" if count == 1 else f"{count} rows"


def _duplicates(series: pd.Series, values: Coerced) -> Iterator[str]:
    import numpy as np

    repeated = series.duplicated(keep=False).to_numpy() & ~values.null
    if not repeated.any():
        return
    first = series.iloc[first_row(repeated)]
    rows = np.flatnonzero(repeated & (series.to_numpy() == first))[:2]
    ids = int(series[repeated].nunique())
    yield (
        f"expected unique ids, got {ids} {'id' if ids == 1 else 'ids'} appearing more than once "
        f"(first {shown(first)} at rows {rows[0]} and {rows[1]})"
    )
