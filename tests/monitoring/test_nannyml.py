"""NannyML adapter on the real car-loan data: drift, CBPE and realized performance per chunk."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from glassbox.monitoring import (
    MonitoringResult,
    MonitorSettings,
    NannyMonitor,
)

from ._carloan import DATA, MOVED, STABLE, CarLoan, first_half, second_half


def test_chunks_cover_the_window_in_5000_row_slices_with_their_timestamps(
    full_result: MonitoringResult, car_loan: CarLoan
) -> None:
    ordered = car_loan.analysis.sort_values("timestamp", kind="stable").reset_index(drop=True)
    assert full_result.chunking == "size=5000"
    assert [c.rows for c in full_result.chunks] == [5000] * 10
    assert [c.index for c in full_result.chunks] == list(range(10))
    for chunk in full_result.chunks:
        first, last = chunk.index * 5000, chunk.index * 5000 + 4999
        assert chunk.start == ordered["timestamp"].iloc[first].to_pydatetime()
        assert chunk.end == ordered["timestamp"].iloc[last].to_pydatetime()
        assert chunk.sufficient


def test_moved_features_alert_in_every_second_half_chunk_and_nothing_alerts_before(
    full_result: MonitoringResult, car_loan: CarLoan
) -> None:
    late = second_half(full_result, car_loan.midpoint)
    early = first_half(full_result, car_loan.midpoint)
    assert late == {5, 6, 7, 8, 9}
    assert early == {0, 1, 2, 3, 4}
    assert full_result.drifted_features() == MOVED
    for feature in MOVED:
        assert set(full_result.drift_chunks(feature)) == late, feature
    for feature in STABLE:
        assert full_result.drift_chunks(feature) == (), feature
    for index in early:
        assert full_result.chunks[index].drifted_features == ()


def test_every_configured_method_is_reported_per_feature(full_result: MonitoringResult) -> None:
    chunk = full_result.chunks[7]
    assert [m.method for m in chunk.feature("car_value").methods] == ["jensen_shannon"]
    salary = chunk.feature("salary_range")
    assert [m.method for m in salary.methods] == ["jensen_shannon", "chi2"]
    js = salary.methods[0]
    assert js.upper_threshold == pytest.approx(0.1)
    assert js.value is not None
    assert js.value > 0.1
    assert js.alert
    assert salary.methods[1].alert  # chi2 alerts on its p-value
    assert salary.alert


def test_multivariate_reconstruction_error_alerts_only_in_the_second_half(
    full_result: MonitoringResult, car_loan: CarLoan
) -> None:
    late = second_half(full_result, car_loan.midpoint)
    assert set(full_result.multivariate_chunks()) == late
    early_errors = [full_result.chunks[i].multivariate.reconstruction_error for i in range(5)]
    late_errors = [full_result.chunks[i].multivariate.reconstruction_error for i in late]
    upper = full_result.chunks[0].multivariate.upper_threshold
    assert upper is not None
    assert all(e is not None and e <= upper for e in early_errors)
    assert all(e is not None and e > upper for e in late_errors)


def test_estimated_and_realized_roc_auc_drop_in_the_same_second_half_chunks(
    full_result: MonitoringResult, car_loan: CarLoan
) -> None:
    late = second_half(full_result, car_loan.midpoint)
    estimated = set(full_result.estimated_drop_chunks("roc_auc"))
    realized = set(full_result.realized_drop_chunks("roc_auc"))
    assert estimated
    assert realized
    assert estimated <= late
    assert realized <= late
    overlap = estimated & realized
    assert len(overlap) / len(estimated | realized) >= 0.8
    for index in overlap:
        chunk = full_result.chunks[index]
        est, real = chunk.estimated_metric("roc_auc"), chunk.realized_metric("roc_auc")
        assert est.value is not None
        assert est.lower_threshold is not None
        assert est.value < est.lower_threshold
        assert real.value is not None
        assert real.lower_threshold is not None
        assert real.value < real.lower_threshold
    # Accuracy, estimated without labels, falls in the same chunks too.
    assert set(full_result.estimated_drop_chunks("accuracy")) == estimated


def test_targets_covering_the_first_half_give_realized_performance_only_there(
    monitor: NannyMonitor, car_loan: CarLoan
) -> None:
    first_ids = set(car_loan.analysis["id"]) - set(car_loan.second_half_ids)
    arrived = car_loan.targets[car_loan.targets["id"].isin(first_ids)]
    late_for_older_window = pd.DataFrame({"id": [-1, -2, -3], "repaid": [1, 0, 1]})
    result = monitor.calculate(car_loan.analysis, pd.concat([arrived, late_for_older_window]))
    assert result.targets.predictions == 50_000
    assert result.targets.targets_received == 25_003
    assert result.targets.matched == 25_000
    assert result.targets.unmatched_targets == 3
    assert result.targets.coverage == pytest.approx(0.5)
    for chunk in result.chunks:
        realized = chunk.realized_metric("roc_auc")
        if chunk.index < 5:
            assert chunk.labelled_rows == 5000
            assert chunk.target_coverage == 1.0
            assert realized.value is not None
            assert 0.9 < realized.value < 1.0
        else:
            assert chunk.labelled_rows == 0
            assert realized.value is None
            assert not realized.alert
            assert not realized.dropped
        # CBPE needs no labels: estimated everywhere.
        assert chunk.estimated_metric("roc_auc").value is not None
    assert result.realized_drop_chunks() == ()


def test_a_chunk_with_too_few_targets_has_no_realized_value(
    monitor: NannyMonitor, car_loan: CarLoan
) -> None:
    ordered = car_loan.analysis.sort_values("timestamp", kind="stable")
    arrived_ids = ordered["id"].iloc[:27_000]  # chunk 5 gets 2 000 of 5 000 (< 50 %)
    result = monitor.calculate(
        car_loan.analysis, car_loan.targets[car_loan.targets["id"].isin(arrived_ids)]
    )
    chunk = result.chunks[5]
    assert chunk.labelled_rows == 2000
    assert chunk.target_coverage == pytest.approx(0.4)
    assert chunk.realized_metric("roc_auc").value is None
    assert result.chunks[4].realized_metric("roc_auc").value is not None


def test_without_targets_realized_is_unknown_and_estimates_still_flag_the_drop(
    monitor: NannyMonitor, car_loan: CarLoan, full_result: MonitoringResult
) -> None:
    result = monitor.calculate(car_loan.analysis)
    assert result.targets.matched == 0
    assert result.targets.coverage == 0.0
    assert all(c.realized_metric("roc_auc").value is None for c in result.chunks)
    assert result.estimated_drop_chunks() == full_result.estimated_drop_chunks()
    assert result.drifted_features() == MOVED


def test_the_prediction_log_parquet_with_model_columns_monitors_like_the_frame(
    monitor: NannyMonitor, car_loan: CarLoan, full_result: MonitoringResult, tmp_path: Path
) -> None:
    log = car_loan.analysis.sample(frac=1.0, random_state=7).assign(
        model_name="car-loan-default", model_version="3", model_fingerprint="ab" * 32
    )
    log.to_parquet(tmp_path / "predictions.parquet", index=False)
    car_loan.targets.to_parquet(tmp_path / "targets.parquet", index=False)
    result = monitor.calculate(
        pd.read_parquet(tmp_path / "predictions.parquet"),
        pd.read_parquet(tmp_path / "targets.parquet"),
    )
    assert result == full_result


def test_calculate_is_repeatable_and_does_not_depend_on_earlier_windows(
    monitor: NannyMonitor, car_loan: CarLoan, full_result: MonitoringResult
) -> None:
    monitor.calculate(car_loan.analysis.iloc[:12_000])
    assert monitor.calculate(car_loan.analysis, car_loan.targets) == full_result


def test_result_round_trips_through_json(full_result: MonitoringResult) -> None:
    text = full_result.model_dump_json()
    payload = json.loads(text)
    assert payload["chunks"][9]["features"][0]["feature"] == "car_value"
    assert payload["chunks"][9]["estimated"][0]["metric"] == "roc_auc"
    assert MonitoringResult.model_validate_json(text) == full_result


def test_monthly_chunks_flag_moved_features_after_the_midpoint_and_not_before(
    car_loan: CarLoan,
) -> None:
    monthly = NannyMonitor(DATA, MonitorSettings(chunk_period="M")).fit(car_loan.reference)
    result = monthly.calculate(car_loan.analysis, car_loan.targets)
    assert result.chunking == "period=M"
    keys = [c.key for c in result.chunks]
    assert keys[0] == "2018-10"
    assert keys[-1] == "2019-08"
    assert len(keys) == 11
    # October 2018 holds 207 predictions: too few to alert on, whatever its distances say.
    october = result.chunks[0]
    assert october.rows == 207
    assert not october.sufficient
    assert october.drifted_features == ()
    assert not october.multivariate.alert
    early = first_half(result, car_loan.midpoint)
    late = second_half(result, car_loan.midpoint)
    assert early == set(range(5))  # Nov-Feb end before the drift; March straddles it
    assert late == set(range(6, 11))
    for index in early:
        assert result.chunks[index].drifted_features == ()
        assert not result.chunks[index].multivariate.alert
    for index in late:
        assert result.chunks[index].drifted_features == MOVED
    assert set(result.estimated_drop_chunks()) <= late
    assert set(result.realized_drop_chunks()) <= late
