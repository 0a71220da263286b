"""What the checks conclude on seeded data (in process: ``glassbox.check.check``)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from glassbox.check import CheckInputError, MonitorOptions, check

from ._data import features

NO_REPORT = MonitorOptions.create(report=False)


def test_the_same_distribution_drawn_twice_raises_no_alert() -> None:
    report = check(features(100_000, seed=10), features(100_000, seed=11), NO_REPORT)

    assert report.alerts == []
    assert report.flagged_features == []
    assert report.severity == "none"
    assert report.document["quality"] == []
    assert all(e["severity"] == "none" for e in report.document["features"].values())


def test_a_tiny_shift_on_200k_rows_is_detected_but_not_an_alert() -> None:
    reference = features(200_000, seed=12)[["income", "age", "segment"]]
    current = features(200_000, seed=13, shift_sd=0.03)[["income", "age", "segment"]]

    report = check(reference, current, NO_REPORT)

    income = report.document["features"]["income"]
    # Significant (200k rows see a 0.03-sd shift) but negligible: severity comes from the effect.
    assert income["statistics"]["p_value_adjusted"] < 1e-6
    assert income["statistics"]["psi"] < 0.01
    assert income["severity"] == "none"
    assert report.alerts == []
    assert report.flagged_features == []


def test_a_half_sd_shift_and_reversed_shares_flag_exactly_those_two() -> None:
    current = features(30_000, seed=15, shift_sd=0.5, shares=[0.1, 0.3, 0.6])

    report = check(features(30_000, seed=14), current, NO_REPORT)

    assert report.flagged_features == ["income", "segment"]
    assert {(a["check"], a["feature"], a["severity"]) for a in report.alerts} == {
        ("data_drift", "income", "critical"),
        ("data_drift", "segment", "critical"),
    }


def test_thirty_percent_missing_values_is_a_quality_finding() -> None:
    current = features(20_000, seed=17)
    rng = np.random.default_rng(0)
    current.loc[rng.random(len(current)) < 0.3, "age"] = np.nan

    report = check(features(20_000, seed=16), current, NO_REPORT)

    assert report.flagged_features == ["age"]
    entry = report.document["features"]["age"]
    assert entry["drift_severity"] == "none"  # the values that are there did not move
    assert entry["quality_severity"] == "critical"
    assert entry["statistics"]["missing_share_current"] == pytest.approx(0.3, abs=0.01)
    (finding,) = report.document["quality"]
    assert finding["check"] == "data_quality.missing_values"
    assert finding["column"] == "age"
    assert finding["observed"] == pytest.approx(0.3, abs=0.01)
    assert [(a["check"], a["feature"]) for a in report.alerts] == [
        ("data_quality.missing_values", "age")
    ]


def test_columns_of_one_file_only_and_role_columns_are_not_features() -> None:
    reference = features(2_000, seed=18).assign(id=range(2_000), dropped=1.0)
    current = features(2_000, seed=19).assign(id=range(2_000), new=1.0)

    report = check(reference, current, MonitorOptions.create(report=False, roles={"id": "id"}))

    doc = report.document
    assert list(doc["features"]) == ["income", "age", "ratio", "visits", "segment", "channel"]
    assert doc["columns_only_in_reference"] == ["dropped"]
    assert doc["columns_only_in_current"] == ["new"]
    found = {(f["check"], f["column"]): f["severity"] for f in doc["quality"]}
    assert found == {
        ("data_quality.schema", "dropped"): "critical",  # a feature stopped arriving
        ("data_quality.schema", "new"): "warning",  # a column the reference never had
    }
    assert doc["flagged_features"] == []


def test_duplicate_ids_are_found_in_the_id_column() -> None:
    current = features(2_000, seed=21).assign(id=[i // 2 for i in range(2_000)])
    reference = features(2_000, seed=20).assign(id=range(2_000))

    report = check(reference, current, MonitorOptions.create(report=False, roles={"id": "id"}))

    (finding,) = report.document["quality"]
    assert (finding["check"], finding["column"]) == ("data_quality.duplicate_ids", "id")
    assert finding["observed"] == pytest.approx(0.5)


def test_a_category_column_read_with_another_dtype_is_compared_by_label() -> None:
    reference = pd.DataFrame({"grade": np.tile([1, 2, 3], 1000), "x": np.arange(3000.0)})
    current = reference.assign(grade=reference["grade"].astype(str).astype("category"))
    current["flag"] = True

    report = check(
        reference.assign(flag=np.tile([True, False], 1500)),
        current.assign(flag=np.tile(["True", "False"], 1500)),
        NO_REPORT,
    )

    grade = report.document["features"]["grade"]
    assert grade["dtype"] == "numeric"  # int64 in the reference; "1", "2", "3" parse as numbers
    assert grade["statistics"]["n_current"] == 3000
    assert grade["severity"] == "none"
    flag = report.document["features"]["flag"]
    assert flag["dtype"] == "categorical"
    assert flag["statistics"]["unseen_current"] == 0
    assert flag["severity"] == "none"


def test_infinite_and_datetime_values_are_usable() -> None:
    moments = pd.date_range("2024-01-01", periods=3000, freq="h")
    reference = pd.DataFrame({"when": moments, "x": np.linspace(0.0, 1.0, 3000)})
    current = reference.copy()
    current.loc[:4, "x"] = np.inf

    report = check(reference, current, NO_REPORT)

    doc = report.document
    assert doc["features"]["when"]["dtype"] == "numeric"
    assert doc["features"]["when"]["severity"] == "none"
    assert doc["features"]["x"]["statistics"]["missing_current"] == 5
    assert doc["notes"] == [
        "column 'x': 5 infinite value(s) in the current data counted as missing for drift"
    ]


def test_a_column_empty_in_the_reference_is_reported_not_compared() -> None:
    reference = features(1_000, seed=22).assign(note=np.nan)
    current = features(1_000, seed=23).assign(note=np.nan)

    report = check(reference, current, NO_REPORT)

    entry = report.document["features"]["note"]
    assert entry["status"] == "no_reference_data"
    assert entry["statistics"] == {}
    assert "data_quality.all_nan_column" in entry["quality_checks"]
    assert "note" in report.flagged_features


def test_only_role_columns_in_common_is_unusable() -> None:
    reference = pd.DataFrame({"id": [1, 2], "a": [1.0, 2.0]})
    current = pd.DataFrame({"id": [3, 4], "b": [1.0, 2.0]})

    with pytest.raises(CheckInputError, match=r"no feature columns: .* share \['id'\]"):
        check(reference, current, MonitorOptions.create(report=False, roles={"id": "id"}))


def test_column_names_must_be_strings() -> None:
    frame = pd.DataFrame({0: [1.0, 2.0], "a": [1.0, 2.0]})

    with pytest.raises(CheckInputError, match=r"^current data current: column names must be str"):
        check(frame.rename(columns={0: "b"}), frame, NO_REPORT)
