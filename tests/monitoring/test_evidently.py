"""Evidently adapter: DataDriftPreset + DataSummaryPreset artifacts and their parsed summary."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from glassbox.monitoring import (
    EvidentlyReport,
    EvidentlySummary,
    MonitoringInputError,
    MonitoringResult,
    evidently_report,
    parse_evidently_json,
)

from ._carloan import DATA, MOVED, STABLE, CarLoan

NUMERIC, CATEGORICAL = list(DATA.numeric_features), list(DATA.categorical_features)


def _halves(car_loan: CarLoan) -> tuple[pd.DataFrame, pd.DataFrame]:
    ordered = car_loan.analysis.sort_values("timestamp", kind="stable")
    half = len(ordered) // 2
    return ordered.iloc[:half], ordered.iloc[half:]


@pytest.fixture(scope="module")
def late_report(car_loan: CarLoan, tmp_path_factory: pytest.TempPathFactory) -> EvidentlyReport:
    """The second half of the analysis period (the drifted one) against the reference."""
    out = tmp_path_factory.mktemp("evidently")
    return evidently_report(
        car_loan.reference, _halves(car_loan)[1], NUMERIC, CATEGORICAL, out, name="late"
    )


def test_report_writes_html_json_and_summary_artifacts(late_report: EvidentlyReport) -> None:
    assert late_report.html_path.name == "late.html"
    assert late_report.json_path.name == "late.json"
    html = late_report.html_path.read_text(encoding="utf-8")
    assert len(html) > 100_000  # the self-contained interactive report
    assert "<html" in html.lower()
    for column in (*NUMERIC, *CATEGORICAL):
        assert column in html
    snapshot = json.loads(late_report.json_path.read_text(encoding="utf-8"))
    kinds = {m["config"]["type"] for m in snapshot["metrics"]}
    assert "evidently:metric_v2:ValueDrift" in kinds  # DataDriftPreset
    assert "evidently:metric_v2:MeanValue" in kinds  # DataSummaryPreset
    saved = EvidentlySummary.model_validate_json(late_report.summary_path.read_text())
    assert saved == late_report.summary


def test_summary_has_a_drift_result_per_column(late_report: EvidentlyReport) -> None:
    summary = late_report.summary
    assert [c.column for c in summary.columns] == [*NUMERIC, *CATEGORICAL]
    assert summary.current_rows == 25_000
    for column in summary.columns:
        assert column.method
        assert column.threshold is not None
        assert column.score is not None
    assert summary.column("car_value").method == "Wasserstein distance (normed)"
    assert summary.column("salary_range").method == "Jensen-Shannon distance"
    car_value = summary.column("car_value")
    assert car_value.score is not None
    assert car_value.threshold is not None
    assert car_value.score > car_value.threshold


def test_evidently_and_nannyml_agree_on_the_features_that_moved(
    late_report: EvidentlyReport, full_result: MonitoringResult
) -> None:
    summary = late_report.summary
    assert set(summary.drifted) == set(MOVED)
    assert not set(summary.drifted) & set(STABLE)
    assert set(full_result.drifted_features()) == set(summary.drifted)
    assert summary.drifted_columns == 4
    assert summary.drifted_share == pytest.approx(4 / 7)
    assert summary.dataset_drift  # 4/7 >= drift_share 0.5


def test_parsing_the_saved_snapshot_reproduces_the_summary(late_report: EvidentlyReport) -> None:
    assert parse_evidently_json(late_report.json_path) == late_report.summary
    snapshot = json.loads(late_report.json_path.read_text(encoding="utf-8"))
    assert parse_evidently_json(snapshot) == late_report.summary


def test_first_half_window_shows_no_drift(car_loan: CarLoan, tmp_path: Path) -> None:
    report = evidently_report(
        car_loan.reference, _halves(car_loan)[0], NUMERIC, CATEGORICAL, tmp_path / "early"
    )
    assert report.summary.drifted == ()
    assert not report.summary.dataset_drift
    assert report.html_path.parent == tmp_path / "early"
    assert report.html_path.is_file()


def test_missing_column_is_named_before_evidently_runs(car_loan: CarLoan, tmp_path: Path) -> None:
    with pytest.raises(
        MonitoringInputError, match=r"^evidently current: missing column\(s\) \['loan_length'\]$"
    ):
        evidently_report(
            car_loan.reference,
            car_loan.analysis.drop(columns=["loan_length"]),
            NUMERIC,
            CATEGORICAL,
            tmp_path,
        )
    assert not any(tmp_path.iterdir())


def test_a_file_that_is_not_a_snapshot_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "other.json"
    path.write_text('{"hello": 1}')
    with pytest.raises(MonitoringInputError, match=r"other\.json: not an Evidently snapshot JSON"):
        parse_evidently_json(path)
    path.write_text('{"metrics": [], "tests": []}')
    with pytest.raises(MonitoringInputError, match=r"no DataDriftPreset results"):
        parse_evidently_json(path)
