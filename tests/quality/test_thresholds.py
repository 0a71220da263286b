"""Thresholds: typed, validated, graded strictly above the bound, overridable per column."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from glassbox.quality import OutlierThresholds, QualityThresholds, ShareThreshold


def test_defaults_match_the_runbook() -> None:
    defaults = QualityThresholds()
    assert (defaults.missing_values.warning, defaults.missing_values.critical) == (0.05, 0.20)
    assert (defaults.outliers.z, defaults.outliers.iqr_mild, defaults.outliers.iqr_extreme) == (
        4.0,
        1.5,
        3.0,
    )
    assert defaults.unseen_categories.grade(0.0001) == ("warning", 0.0)
    assert defaults.duplicate_ids.grade(0.0) == ("none", 0.0)


@pytest.mark.parametrize(
    ("share", "expected"),
    [
        (0.0, ("none", 0.05)),
        (0.05, ("none", 0.05)),
        (0.0501, ("warning", 0.05)),
        (0.2, ("warning", 0.05)),
        (0.3, ("critical", 0.2)),
        (1.0, ("critical", 0.2)),
    ],
)
def test_grade_is_strictly_above(share: float, expected: tuple[str, float]) -> None:
    assert ShareThreshold(warning=0.05, critical=0.2).grade(share) == expected


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        (
            {"missing_values": {"warning": 0.3, "critical": 0.1}},
            r"critical \(0\.1\) must be at least warning \(0\.3\)",
        ),
        ({"missing_values": {"warning": 1.5, "critical": 2}}, r"less than or equal to 1"),
        ({"missing_value": {"warning": 0.1, "critical": 0.2}}, r"Extra inputs are not permitted"),
        (
            {"outliers": {"iqr_mild": 3, "iqr_extreme": 1.5}},
            r"iqr_extreme \(1\.5\) must be at least iqr_mild \(3\.0\)",
        ),
        ({"outliers": {"z": 0}}, r"greater than 0"),
        (
            {"columns": {"x": {"duplicate_ids": {"warning": 0, "critical": 0}}}},
            r"columns\.x\.duplicate_ids",
        ),
    ],
)
def test_invalid_thresholds_are_rejected(document: dict[str, object], expected: str) -> None:
    with pytest.raises(ValidationError, match=expected):
        QualityThresholds.model_validate(document)


def test_column_override_replaces_only_what_it_names() -> None:
    thresholds = QualityThresholds.model_validate(
        {
            "out_of_range": {"warning": 0.02, "critical": 0.1},
            "columns": {"driver_tenure": {"outliers": {"z": 6, "warning": 0.02}}},
        }
    )
    tenure = thresholds.for_column("driver_tenure")
    assert tenure.outliers == OutlierThresholds(z=6, warning=0.02)
    assert tenure.out_of_range == ShareThreshold(warning=0.02, critical=0.1)
    assert thresholds.for_column("car_value").outliers == OutlierThresholds()
    assert QualityThresholds.model_validate_json(thresholds.model_dump_json()) == thresholds
