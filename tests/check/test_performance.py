"""Performance and concept drift (NannyML CBPE + realized) when target and probability are given."""

from __future__ import annotations

import pytest

from glassbox.check import CheckInputError, MonitorOptions, check

from ._data import scored
from ._docs import documented_fields

ROLES = {"target": "y", "proba": "p", "timestamp": "ts", "id": "row"}
OPTIONS = MonitorOptions.create(report=False, roles=ROLES)


def test_labels_that_stopped_following_the_model_are_concept_drift() -> None:
    report = check(scored(12_000, seed=1), scored(8_000, seed=2, concept=True), OPTIONS)

    doc = report.document
    assert doc["concept_drift"] is True
    perf = doc["performance"]
    assert perf["verdict"]["kind"] == "concept_drift"
    assert perf["chunk_size"] == 4_000  # the reference makes three chunks (the cron's rule)
    assert perf["reference_chunks"] == 3
    assert [c["rows"] for c in perf["chunks"]] == [4_000, 4_000]
    assert perf["realized"]["roc_auc"] < 0.3
    assert perf["reference"]["roc_auc"] > 0.7
    # CBPE only sees the inputs and the model's outputs, which did not change.
    assert perf["estimated"]["roc_auc"] == pytest.approx(perf["reference"]["roc_auc"], abs=0.03)
    assert perf["realized_drop_chunks"] == [0, 1]
    assert perf["estimated_drop_chunks"] == []
    # Reversed labels also move the share of positives (about 56 % -> 44 %): target drift.
    assert {a["check"] for a in doc["alerts"]} == {"performance", "concept_drift", "target_drift"}
    assert doc["flagged_features"] == []
    assert doc["predictions"]["p"]["severity"] == "none"
    assert documented_fields("Performance") == set(perf)  # docs/monitor.md


def test_without_labels_yet_performance_is_estimated_and_not_concept_drift() -> None:
    current = scored(4_000, seed=3).drop(columns=["y"])

    report = check(scored(12_000, seed=1), current, OPTIONS)

    doc = report.document
    perf = doc["performance"]
    assert doc["concept_drift"] is False
    assert perf["labelled_rows"] == 0
    assert perf["realized"] == {"roc_auc": None, "accuracy": None}
    assert all(c["realized"]["roc_auc"]["value"] is None for c in perf["chunks"])
    assert perf["estimated"]["roc_auc"] == pytest.approx(perf["reference"]["roc_auc"], abs=0.03)
    assert doc["alerts"] == []


def test_without_target_and_proba_there_is_no_performance() -> None:
    options = MonitorOptions.create(report=False, roles={"proba": "p", "timestamp": "ts"})

    report = check(scored(600, seed=1), scored(600, seed=2, concept=True), options)

    assert report.document["performance"] is None
    assert report.document["concept_drift"] is False
    # the probability is a model output: prediction drift, not a feature
    assert "p" not in report.document["features"]
    assert report.document["predictions"]["p"]["dtype"] == "numeric"


def test_an_explicit_chunk_size_too_large_for_three_reference_chunks_is_noted() -> None:
    options = MonitorOptions.create(report=False, roles=ROLES, chunk_size=4_000)

    report = check(scored(9_000, seed=1), scored(4_000, seed=2), options)

    assert report.document["performance"]["reference_chunks"] == 2
    assert report.document["notes"] == [
        "performance: the reference makes 2 chunk(s) of 4000 rows; NannyML's multivariate "
        "drift limits from fewer than 3 chunks are unreliable"
    ]


def test_a_target_that_is_not_binary_names_the_file_and_column() -> None:
    reference = scored(800, seed=1)
    reference.loc[3, "y"] = 7

    with pytest.raises(
        CheckInputError, match=r"^reference ref\.csv: column 'y': expected 0 or 1, got 7 at row 3$"
    ):
        check(reference, scored(800, seed=2), OPTIONS, sources=("ref.csv", "cur.csv"))
