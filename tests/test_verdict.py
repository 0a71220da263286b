"""The gate's verdict report: every criterion with its value and threshold, the champion."""

from __future__ import annotations

import pytest

from glassbox.config import GateSettings
from glassbox.evaluation import gate
from glassbox.verdict import GateReport

CONF = GateSettings(min_roc_auc=0.8, min_accuracy=0.7, champion_tolerance=0.005)


def _report(candidate: dict[str, float], champion: dict[str, float] | None) -> GateReport:
    version = "4" if champion else None
    return GateReport.build(gate(candidate, champion, CONF), candidate, champion, version, CONF)


def test_failed_floors_are_named_with_value_and_threshold() -> None:
    report = _report({"roc_auc": 0.5021, "accuracy_score": 0.7312}, None)
    assert report.verdict == "failed"
    assert [(c.metric, c.check) for c in report.failed_criteria] == [("roc_auc", "floor")]
    assert report.lines() == [
        "gate failed: the candidate model was not registered",
        "  FAIL  roc_auc         0.5021 < floor 0.8000",
        "  ok    accuracy_score  0.7312 >= floor 0.7000",
        "  champion: none yet (nothing to compare with; the floors decide)",
    ]


def test_the_champion_comparison_shows_both_values_and_the_tolerance() -> None:
    report = _report(
        {"roc_auc": 0.90, "accuracy_score": 0.84}, {"roc_auc": 0.95, "accuracy_score": 0.83}
    )
    assert report.verdict == "failed"
    lines = report.lines()
    assert "  FAIL  roc_auc         0.9000 < champion v4 0.9500 - tolerance 0.005 = 0.9450" in lines
    assert (
        "  ok    accuracy_score  0.8400 >= champion v4 0.8300 - tolerance 0.005 = 0.8250" in lines
    )
    assert lines[-1] == (
        "  champion: v4 on the same held-out rows: roc_auc 0.9500, accuracy_score 0.8300"
    )


@pytest.mark.parametrize(
    ("candidate", "champion"),
    [
        ({"roc_auc": 0.91, "accuracy_score": 0.81}, None),
        ({"roc_auc": 0.91, "accuracy_score": 0.81}, {"roc_auc": 0.913, "accuracy_score": 0.80}),
        ({"roc_auc": 0.79, "accuracy_score": 0.81}, None),
        ({"roc_auc": 0.93, "accuracy_score": 0.69}, {"roc_auc": 0.90, "accuracy_score": 0.60}),
        ({"roc_auc": 0.90, "accuracy_score": 0.80}, {"roc_auc": 0.9051, "accuracy_score": 0.7}),
    ],
)
def test_criteria_agree_with_mlflows_verdict_and_the_report_round_trips(
    candidate: dict[str, float], champion: dict[str, float] | None
) -> None:
    report = _report(candidate, champion)
    assert report.passed == (not report.failed_criteria)
    assert GateReport.model_validate_json(report.to_json()) == report


def test_a_regressor_s_ceiling_reads_as_a_ceiling() -> None:
    conf = GateSettings(min_r2=0.6, max_rmse=2.0, max_mae=1.5)
    candidate = {"r2_score": 0.71, "root_mean_squared_error": 2.4, "mean_absolute_error": 1.2}
    verdict = gate(candidate, None, conf, "regression")
    report = GateReport.build(verdict, candidate, None, None, conf, task="regression")
    assert report.verdict == "failed"
    assert report.lines()[1:4] == [
        "  ok    r2_score        0.7100 >= floor 0.6000",
        "  FAIL  root_mean_squared_error 2.4000 > ceiling 2.0000",
        "  ok    mean_absolute_error 1.2000 <= ceiling 1.5000",
    ]
    # The JSON a pipeline run logs reads back with the direction of each criterion.
    again = GateReport.parse(report.to_json(), "test")
    assert [c.greater_is_better for c in again.criteria] == [True, False, False]
