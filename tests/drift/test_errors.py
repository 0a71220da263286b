"""Bad input: DriftError naming the column, or a result flagged "no_data" (all-NaN current)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from glassbox.drift import (
    DriftCalculator,
    DriftConfigError,
    DriftError,
    DriftInputError,
    _calculator,
)
from glassbox.errors import DataValidationError


def _reference(rows: int = 1000) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame({"x": rng.normal(size=rows), "c": rng.choice(["a", "b"], rows)})


@pytest.fixture
def calculator() -> DriftCalculator:
    return DriftCalculator(["x", "c"], categorical=["c"]).fit(_reference())


def test_missing_column_in_reference_is_named() -> None:
    with pytest.raises(DriftInputError, match="column 'y' is missing from the reference data"):
        DriftCalculator(["x", "y"]).fit(_reference())


def test_missing_column_in_current_is_named(calculator: DriftCalculator) -> None:
    with pytest.raises(
        DriftInputError, match="column 'c' is missing from the current data"
    ) as caught:
        calculator.calculate(_reference().drop(columns="c"))
    assert isinstance(caught.value, DataValidationError)


def test_all_nan_reference_column_cannot_be_profiled() -> None:
    reference = _reference().assign(x=np.nan)
    with pytest.raises(
        DriftError, match="column 'x' in the reference data has no non-missing values"
    ):
        DriftCalculator(["x"]).fit(reference)
    with pytest.raises(DriftError, match="column 'c' in the reference data has no non-missing"):
        DriftCalculator(["c"], categorical=["c"]).fit(_reference().assign(c=None))


def test_all_nan_current_column_is_flagged_no_data(calculator: DriftCalculator) -> None:
    result = calculator.calculate(_reference(300).assign(x=np.nan, c=None))
    for name in ("x", "c"):
        feature = result[name]
        assert feature.status == "no_data"
        assert feature.severity == "critical"
        assert (feature.n_current, feature.missing_current) == (0, 300)
        assert np.isnan(feature.psi)
    assert result["x"].reasons == ("no non-missing values in the current window",)


def test_non_numeric_data_in_a_numeric_feature_is_named(calculator: DriftCalculator) -> None:
    current = _reference(50).astype({"x": object})
    current.loc[7, "x"] = "12,5"
    with pytest.raises(
        DriftInputError,
        match=r"column 'x' in the current data must be numeric, got dtype object "
        r"\(e\.g\. value '12,5'\)",
    ):
        calculator.calculate(current)
    with pytest.raises(DriftInputError, match="column 'x' in the reference data must be numeric"):
        DriftCalculator(["x"]).fit(_reference().assign(x=pd.Timestamp("2024-01-01")))


def test_numbers_stored_as_objects_are_accepted(calculator: DriftCalculator) -> None:
    current = _reference(50).astype({"x": object})
    current.loc[3, "x"] = None
    feature = calculator.calculate(current)["x"]
    assert (feature.n_current, feature.missing_current) == (49, 1)


def test_infinite_values_are_rejected(calculator: DriftCalculator) -> None:
    current = _reference(50)
    current.loc[0, "x"] = np.inf
    with pytest.raises(
        DriftInputError, match="column 'x' in the current data contains infinite values"
    ):
        calculator.calculate(current)


def test_empty_current_window_is_an_error(calculator: DriftCalculator) -> None:
    with pytest.raises(DriftInputError, match=r"current data is empty \(0 rows\)"):
        calculator.calculate(_reference().iloc[:0])


def test_non_frame_input_is_an_error(calculator: DriftCalculator) -> None:
    with pytest.raises(DriftInputError, match="current data must be a pandas DataFrame, got dict"):
        calculator.calculate({"x": [1.0]})  # type: ignore[arg-type]


def test_unsupported_category_type_is_named() -> None:
    reference = pd.DataFrame({"c": [(1, 2), (3, 4)] * 5})
    with pytest.raises(
        DriftInputError, match=r"column 'c': category .* of type tuple is not supported"
    ):
        DriftCalculator(["c"], categorical=["c"]).fit(reference)


def test_calculate_before_fit_is_an_error() -> None:
    with pytest.raises(DriftError, match=r"not fitted: call fit\(reference\) first"):
        DriftCalculator(["x"]).calculate(_reference())


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"features": "x"}, "features must be a sequence of column names"),
        ({"features": ["x", "x"]}, r"features lists \['x'\] more than once"),
        (
            {"features": ["x"], "categorical": ["c"]},
            r"categorical columns \['c'\] are not features",
        ),
        ({"features": ["x"], "prediction_columns": ["x"]}, "listed as features and as predictions"),
        ({"features": []}, "at least one feature"),
        ({"features": ["x"], "n_bins": 1}, "n_bins must be an integer >= 2"),
        ({"features": ["x"], "threads": 0}, "threads must be a positive integer"),
    ],
)
def test_invalid_calculator_arguments(kwargs: dict, message: str) -> None:
    with pytest.raises(DriftConfigError, match=message):
        DriftCalculator(**kwargs)


def test_unexpected_failures_become_drift_errors(
    calculator: DriftCalculator, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object) -> None:
        raise MemoryError("simulated")

    monkeypatch.setattr(_calculator, "compare_numeric", broken)
    with pytest.raises(DriftError, match=r"drift calculation failed: MemoryError\('simulated'\)"):
        calculator.calculate(_reference())
