"""Bad reference, predictions and targets raise one-line errors naming the frame and column."""

from __future__ import annotations

import pandas as pd
import pytest

from glassbox.errors import ConfigError, DataValidationError
from glassbox.monitoring import (
    MonitoringConfigError,
    MonitoringError,
    MonitoringInputError,
    MonitorSettings,
    NannyMonitor,
)

from ._carloan import DATA, CarLoan


@pytest.fixture(scope="module")
def window(car_loan: CarLoan) -> pd.DataFrame:
    return car_loan.analysis.iloc[:6000].copy()


def test_missing_feature_column_names_the_frame_and_column(
    monitor: NannyMonitor, window: pd.DataFrame
) -> None:
    with pytest.raises(
        MonitoringInputError, match=r"^predictions: missing column\(s\) \['car_value'\]$"
    ):
        monitor.calculate(window.drop(columns=["car_value"]))


def test_input_errors_are_the_library_data_validation_errors() -> None:
    assert issubclass(MonitoringInputError, DataValidationError)
    assert issubclass(MonitoringConfigError, ConfigError)


def test_empty_window_is_rejected(monitor: NannyMonitor, window: pd.DataFrame) -> None:
    with pytest.raises(MonitoringInputError, match="predictions: no rows"):
        monitor.calculate(window.iloc[:0])


def test_duplicate_prediction_ids_are_rejected(monitor: NannyMonitor, window: pd.DataFrame) -> None:
    doubled = pd.concat([window, window.iloc[[10]]])
    with pytest.raises(MonitoringInputError, match=r"column 'id': duplicate prediction id 50010"):
        monitor.calculate(doubled)


def test_probability_outside_unit_interval_names_value_and_row(
    monitor: NannyMonitor, window: pd.DataFrame
) -> None:
    bad = window.copy()
    bad.loc[bad.index[3], "y_pred_proba"] = 1.5
    with pytest.raises(
        MonitoringInputError,
        match=r"column 'y_pred_proba': expected a probability in \[0, 1\], got 1.5 at row 3",
    ):
        monitor.calculate(bad)


def test_non_numeric_feature_value_is_named(monitor: NannyMonitor, window: pd.DataFrame) -> None:
    bad = window.astype({"car_value": object})
    bad.loc[bad.index[2], "car_value"] = "lots"
    with pytest.raises(
        MonitoringInputError, match=r"column 'car_value': expected numbers, got 'lots' at row 2"
    ):
        monitor.calculate(bad)


def test_conflicting_targets_for_one_id_are_rejected(
    monitor: NannyMonitor, window: pd.DataFrame, car_loan: CarLoan
) -> None:
    targets = car_loan.targets.iloc[:100]
    clash = pd.DataFrame({"id": [targets["id"].iloc[5]], "repaid": [1 - targets["repaid"].iloc[5]]})
    with pytest.raises(
        MonitoringInputError, match=r"targets: column 'repaid': conflicting targets"
    ):
        monitor.calculate(window, pd.concat([targets, clash]))


def test_repeated_identical_targets_count_once(
    monitor: NannyMonitor, window: pd.DataFrame, car_loan: CarLoan
) -> None:
    targets = car_loan.targets.iloc[:100]
    result = monitor.calculate(window, pd.concat([targets, targets]))
    assert result.targets.targets_received == 100
    assert result.targets.matched == 100


def test_non_binary_target_is_rejected(
    monitor: NannyMonitor, window: pd.DataFrame, car_loan: CarLoan
) -> None:
    targets = car_loan.targets.iloc[:10].copy()
    targets.loc[targets.index[4], "repaid"] = 2
    with pytest.raises(
        MonitoringInputError, match=r"targets: column 'repaid': expected 0 or 1, got 2"
    ):
        monitor.calculate(window, targets)


def test_targets_without_the_target_column_are_rejected(
    monitor: NannyMonitor, window: pd.DataFrame
) -> None:
    with pytest.raises(MonitoringInputError, match=r"targets: missing column\(s\) \['repaid'\]"):
        monitor.calculate(window, pd.DataFrame({"id": [50000]}))


def test_string_ids_join_numeric_prediction_ids(
    monitor: NannyMonitor, window: pd.DataFrame, car_loan: CarLoan
) -> None:
    targets = car_loan.targets.iloc[:5000].astype({"id": str})
    assert monitor.calculate(window, targets).targets.matched == 5000


def test_targets_given_twice_are_ambiguous(
    monitor: NannyMonitor, window: pd.DataFrame, car_loan: CarLoan
) -> None:
    joined = window.merge(car_loan.targets, on="id", how="left")
    with pytest.raises(MonitoringInputError, match=r"already has column 'repaid'"):
        monitor.calculate(joined, car_loan.targets)
    # Joined already (and no separate targets): the window's own column is used.
    assert monitor.calculate(joined).targets.matched == 6000


def test_calculate_before_fit_says_to_fit() -> None:
    with pytest.raises(MonitoringError, match=r"not fitted; call fit\(reference\) first"):
        NannyMonitor(DATA).calculate(pd.DataFrame())


def test_reference_needs_targets_and_model_outputs(car_loan: CarLoan) -> None:
    with pytest.raises(
        MonitoringInputError, match=r"^reference: missing column\(s\) \['repaid'\]$"
    ):
        NannyMonitor(DATA).fit(car_loan.reference.drop(columns=["repaid"]))


def test_reference_too_short_for_two_chunks_is_rejected(car_loan: CarLoan) -> None:
    with pytest.raises(
        MonitoringInputError,
        match=r"reference: 9000 rows make 1 full chunk\(s\) with size=5000; need at least 2",
    ):
        NannyMonitor(DATA, MonitorSettings()).fit(car_loan.reference.iloc[:9000])
