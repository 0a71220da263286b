"""validate_batch: bad input stops the pipeline; the message names file, column and expectation."""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

from glassbox.errors import DataValidationError, GlassboxError
from glassbox.quality import ContractViolationError, DataContract, validate_batch

from ._frames import CONTRACT_COLUMNS, loans

SOURCE = "data/prod.parquet"


def _with(df: pd.DataFrame, column: str, row: int, value: object) -> pd.DataFrame:
    out = df.copy()
    if not isinstance(value, float | int | bool | np.generic):
        out[column] = out[column].astype(object)
    out.loc[row, column] = value
    return out


def _problems(df: pd.DataFrame, contract: DataContract) -> list[str]:
    with pytest.raises(ContractViolationError) as caught:
        validate_batch(df, contract, source=SOURCE)
    return list(caught.value.problems)


def test_clean_reference_and_production_batch_pass(
    reference: pd.DataFrame, batch: pd.DataFrame, contract: DataContract
) -> None:
    validate_batch(reference, contract, source="data/reference.csv")
    # the validate step fills the unknown target of production rows before checking
    validate_batch(batch.assign(repaid=0), contract, source=SOURCE)


CASES: list[tuple[str, Callable[[pd.DataFrame], pd.DataFrame], str]] = [
    (
        "empty frame",
        lambda df: df.iloc[0:0],
        "validate: data/prod.parquet: empty table: no rows (expected at least 1 row)",
    ),
    (
        "missing required column",
        lambda df: df.drop(columns=["car_value"]),
        "validate: data/prod.parquet: column 'car_value': missing "
        "(expected a feature column, numeric (float64))",
    ),
    (
        "text in a numeric column",
        lambda df: _with(df, "car_value", 17, "abc"),
        "validate: data/prod.parquet: column 'car_value': expected numeric (float64), got object "
        "(first bad value 'abc' at row 17)",
    ),
    (
        "booleans in a numeric column",
        lambda df: df.assign(loan_length=df["loan_length"] > 10),
        "validate: data/prod.parquet: column 'loan_length': expected numeric (float64), got bool",
    ),
    (
        "NaN in a required feature",
        lambda df: _with(df, "debt_to_income_ratio", 5, np.nan),
        "validate: data/prod.parquet: column 'debt_to_income_ratio': expected no missing values "
        "(the reference has none), got 1 NaN (first at row 5)",
    ),
    (
        "+inf in a feature",
        lambda df: _with(df, "car_value", 8, np.inf),
        "validate: data/prod.parquet: column 'car_value': expected finite numbers, got 1 ±inf "
        "(first inf at row 8)",
    ),
    (
        "-inf in a feature",
        lambda df: _with(df, "loan_length", 2, -np.inf),
        "validate: data/prod.parquet: column 'loan_length': expected finite numbers, got 1 ±inf "
        "(first -inf at row 2)",
    ),
    (
        "unknown category",
        lambda df: _with(df, "salary_range", 11, "90K+ €"),
        "validate: data/prod.parquet: column 'salary_range': unknown categories '90K+ €' in 1 row "
        "(first at row 11); expected one of '0 - 20K €', '20K - 40K €', '40K - 60K €', '60K+ €'",
    ),
    (
        "missing category value",
        lambda df: _with(df, "salary_range", 4, None),
        "validate: data/prod.parquet: column 'salary_range': expected no missing values "
        "(the reference has none), got 1 missing (first None at row 4)",
    ),
    (
        "text in a boolean feature",
        lambda df: _with(df, "repaid_loan_on_prev_car", 6, "maybe"),
        "validate: data/prod.parquet: column 'repaid_loan_on_prev_car': unknown categories "
        "'maybe' in 1 row (first at row 6); expected one of 'False', 'True'",
    ),
    (
        "duplicate ids",
        lambda df: _with(df, "id", 9, int(df.loc[3, "id"])),
        "validate: data/prod.parquet: column 'id': expected unique ids, got 1 id appearing more "
        "than once (first 10003 at rows 3 and 9)",
    ),
    (
        "missing id",
        lambda df: _with(df, "id", 7, np.nan),
        "validate: data/prod.parquet: column 'id': expected no missing values "
        "(the reference has none), got 1 NaN (first at row 7)",
    ),
    (
        "unparsable timestamp",
        lambda df: _with(df, "timestamp", 4, "yesterday"),
        "validate: data/prod.parquet: column 'timestamp': expected datetime, got unparsable "
        "timestamps (first bad value 'yesterday' at row 4)",
    ),
    (
        "numbers as timestamps",
        lambda df: df.assign(timestamp=np.arange(len(df))),
        "validate: data/prod.parquet: column 'timestamp': expected datetime, got int64",
    ),
    (
        "target of the wrong kind",
        lambda df: _with(df, "repaid", 0, "yes"),
        "validate: data/prod.parquet: column 'repaid': expected numeric (float64), got object "
        "(first bad value 'yes' at row 0)",
    ),
]


@pytest.mark.parametrize(("mutate", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_raises_naming_source_column_and_expectation(
    batch: pd.DataFrame,
    contract: DataContract,
    mutate: Callable[[pd.DataFrame], pd.DataFrame],
    expected: str,
) -> None:
    problems = _problems(mutate(batch.assign(repaid=0.0)), contract)
    assert problems == [expected]


def test_error_is_the_library_data_validation_error(
    batch: pd.DataFrame, contract: DataContract
) -> None:
    bad = batch.drop(columns=["loan_length"]).assign(repaid=0)
    with pytest.raises(DataValidationError, match=r"column 'loan_length': missing") as caught:
        validate_batch(bad, contract, source=SOURCE)
    assert isinstance(caught.value, GlassboxError)


def test_every_problem_is_listed_one_per_line(batch: pd.DataFrame, contract: DataContract) -> None:
    bad = _with(batch, "car_value", 3, "n/a").drop(columns=["repaid_loan_on_prev_car"])
    bad = _with(bad, "timestamp", 1, "31/02/2024 25:00")
    bad = _with(bad, "salary_range", 0, "unknown")
    with pytest.raises(ContractViolationError) as caught:
        validate_batch(bad, contract, source=SOURCE)
    lines = str(caught.value).splitlines()
    assert lines == list(caught.value.problems)
    assert all(line.startswith("validate: data/prod.parquet: column '") for line in lines)
    named = {re.search(r"column '([^']+)'", line).group(1) for line in lines}  # type: ignore[union-attr]
    assert named == {"repaid_loan_on_prev_car", "repaid", "car_value", "timestamp", "salary_range"}


def test_unknown_categories_name_at_most_five_values(
    batch: pd.DataFrame, contract: DataContract
) -> None:
    bad = batch.assign(repaid=0.0, salary_range=batch["salary_range"].astype(object))
    for i, label in enumerate(["u1", "u2", "u3", "u4", "u5", "u6", "u7"]):
        bad.loc[i * 10 : i * 10 + i, "salary_range"] = label  # u7 is the most frequent
    (problem,) = _problems(bad, contract)
    assert "unknown categories 'u7', 'u6', 'u5', 'u4', 'u3' and 2 more in 28 rows" in problem
    assert "expected one of '0 - 20K €'" in problem


def test_repeated_column_name_is_reported(batch: pd.DataFrame, contract: DataContract) -> None:
    bad = pd.concat([batch.assign(repaid=0.0), batch[["car_value"]]], axis=1)
    (problem,) = _problems(bad, contract)
    assert problem == (
        "validate: data/prod.parquet: column 'car_value': appears 2 times "
        "(expected unique column names)"
    )


def test_equivalent_encodings_are_accepted(batch: pd.DataFrame, contract: DataContract) -> None:
    """What a Parquet round trip or another producer may change without changing meaning."""
    rows = len(batch)
    varied = batch.assign(
        repaid=np.zeros(rows, dtype="int64"),  # int target where the reference had float
        loan_length=batch["loan_length"].astype("int64"),
        car_value=batch["car_value"].astype(str).astype(object),  # numbers as text
        repaid_loan_on_prev_car=batch["repaid_loan_on_prev_car"].astype(str),  # 'True'/'False'
        salary_range=batch["salary_range"].astype("category"),
        timestamp=pd.to_datetime(batch["timestamp"]),
    )
    validate_batch(varied, contract, source=SOURCE)
    mixed = batch.assign(repaid=0.0, timestamp=batch["timestamp"].astype(object))
    mixed.loc[5, "timestamp"] = "2024-01-01T10:00:00+01:00"  # a second format is still a time
    validate_batch(mixed, contract, source=SOURCE)


def test_nullable_columns_accept_missing_values() -> None:
    reference = loans(500, seed=3)
    reference.loc[[4, 9], "car_value"] = np.nan
    reference.loc[[1], "salary_range"] = None
    contract = DataContract.infer(reference, **CONTRACT_COLUMNS)
    assert contract.columns["car_value"].nullable
    assert contract.columns["salary_range"].nullable
    assert not contract.columns["loan_length"].nullable
    production = loans(50, seed=4, first_id=1_000).assign(repaid=0.0)
    production.loc[:20, "car_value"] = np.nan
    production.loc[3, "salary_range"] = np.nan
    validate_batch(production, contract, source=SOURCE)


def test_extra_columns_are_ignored(batch: pd.DataFrame, contract: DataContract) -> None:
    validate_batch(batch.assign(repaid=0.0, y_pred=1, note="x"), contract, source=SOURCE)


def test_not_a_dataframe_is_a_type_error(contract: DataContract) -> None:
    with pytest.raises(TypeError, match="expected a pandas DataFrame, got dict"):
        validate_batch({"id": [1]}, contract, source=SOURCE)
