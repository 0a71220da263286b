"""guess_feature: the kind `glassbox init` gives a column, from the contract's own dtype rules."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from glassbox.quality import DataContract, dtype_kind, guess_feature


@pytest.mark.parametrize(
    ("values", "kind", "reason"),
    [
        (np.linspace(0, 1, 300), "numeric", "float64, 300 distinct values"),
        (np.arange(300) % 7, "numeric", "int64, 7 distinct values"),
        (np.arange(300) % 2 == 0, "categorical", "true/false values"),
        (
            np.array(["red", "blue", "green"] * 100),
            "categorical",
            "3 distinct strings (blue, green, red)",
        ),
        (
            np.array([f"c{i % 9}" for i in range(300)]),
            "categorical",
            "9 distinct strings (c0, c1, c2, c3, ...)",
        ),
        (np.arange(300) + 5000, None, "300 distinct integers, one per row (an id?)"),
        (
            np.array([f"name {i}" for i in range(300)]),
            None,
            "300 distinct strings in 300 rows (an identifier or free text?)",
        ),
        (
            pd.date_range("2024-01-01", periods=300, freq="D").strftime("%Y-%m-%d").to_numpy(),
            None,
            "timestamps",
        ),
        (pd.date_range("2024-01-01", periods=300, freq="h").to_numpy(), None, "timestamps"),
    ],
)
def test_each_column_gets_a_kind_or_is_left_out_with_its_reason(
    values: np.ndarray, kind: str | None, reason: str
) -> None:
    guess = guess_feature(pd.Series(values), "col")
    assert (guess.kind, guess.reason, guess.problem) == (kind, reason, None)


def test_constant_missing_and_empty_columns_are_problems_naming_the_column() -> None:
    assert guess_feature(pd.Series(["a"] * 10), "flag").problem == (
        "column 'flag': every value is 'a': a constant carries no signal"
    )
    assert guess_feature(pd.Series([np.nan] * 10), "gone").problem == (
        "column 'gone': all 10 values are missing"
    )
    holes = pd.Series([1.0, 2.0, np.nan, 4.0, np.nan])
    assert guess_feature(holes, "x").problem == (
        "column 'x': 2 missing value(s) (first at row 2); features must be complete"
    )


def test_many_categories_spread_over_few_rows_each_are_still_categorical() -> None:
    values = pd.Series([f"shop-{i % 150}" for i in range(3000)])  # 150 categories, 20 rows each
    guess = guess_feature(values, "shop")
    assert guess.kind == "categorical" and guess.reason.startswith("150 distinct strings")


def test_the_contract_reads_a_guessed_frame_with_the_same_kinds() -> None:
    df = pd.DataFrame(
        {
            "x": np.linspace(0, 1, 50),
            "n": np.arange(50) % 4,
            "colour": ["a", "b"] * 25,
            "flag": [True, False] * 25,
            "y": [0, 1] * 25,
        }
    )
    guesses = {c: guess_feature(df[c], c) for c in ("x", "n", "colour", "flag")}
    numeric = [c for c, g in guesses.items() if g.kind == "numeric"]
    categorical = [c for c, g in guesses.items() if g.kind == "categorical"]
    contract = DataContract.infer(
        df,
        numeric + categorical,
        categorical,
        id_column=None,
        timestamp_column=None,
        target_column="y",
    )
    kinds = {c: col.kind for c, col in contract.columns.items()}
    assert kinds == {
        "x": "numeric",
        "n": "numeric",
        "colour": "categorical",
        "flag": "categorical",
        "y": "numeric",
    }
    assert (contract.id_column, contract.timestamp_column) == (None, None)
    assert [dtype_kind(df[c]) for c in df] == [
        "numeric",
        "numeric",
        "categorical",
        "boolean",
        "numeric",
    ]
