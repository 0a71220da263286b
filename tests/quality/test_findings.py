"""quality_findings: each monitoring check graded against the reference, never raising on data."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from glassbox.errors import ConfigError
from glassbox.quality import (
    CHECKS,
    DataContract,
    QualityFinding,
    QualityThresholds,
    quality_findings,
    worst_severity,
)

from ._frames import FEATURES


def _only(findings: list[QualityFinding], check: str, column: str | None) -> QualityFinding:
    (found,) = [f for f in findings if f.check == f"data_quality.{check}" and f.column == column]
    return found


def _problems(findings: list[QualityFinding]) -> list[QualityFinding]:
    return [f for f in findings if f.is_problem]


def test_clean_window_has_no_problems_but_reports_every_check(
    batch: pd.DataFrame, contract: DataContract
) -> None:
    findings = quality_findings(batch, contract)
    assert _problems(findings) == []
    assert worst_severity(findings) == "none"
    checked = {(f.sub_check, f.column) for f in findings}
    for column in FEATURES:
        assert ("schema", column) in checked
        assert ("missing_values", column) in checked
        assert ("all_nan_column", column) in checked
    assert {("out_of_range", "car_value"), ("outliers", "car_value")} <= checked
    assert ("unseen_categories", "salary_range") in checked
    assert ("duplicate_ids", "id") in checked
    assert ("empty_window", None) in checked
    # the target is not in a production window and is not reported missing
    assert not [f for f in findings if f.column == "repaid"]
    assert {f.check for f in findings} <= set(CHECKS)


@pytest.mark.parametrize(
    ("share", "severity"), [(0.30, "critical"), (0.10, "warning"), (0.04, "none")]
)
def test_missing_value_share_is_graded(
    batch: pd.DataFrame, contract: DataContract, share: float, severity: str
) -> None:
    window = batch.copy()
    missing = np.random.default_rng(1).permutation(len(window))[: int(share * len(window))]
    window.loc[missing, "debt_to_income_ratio"] = np.nan
    finding = _only(quality_findings(window, contract), "missing_values", "debt_to_income_ratio")
    assert finding.severity == severity
    assert finding.observed == pytest.approx(share)
    assert finding.details["missing"] == len(missing)
    if severity == "critical":
        assert finding.threshold == 0.20
        assert finding.message == (
            "column 'debt_to_income_ratio': 30% missing values (critical above 20%)"
        )


def test_missing_categories_count_as_missing(batch: pd.DataFrame, contract: DataContract) -> None:
    window = batch.astype({"salary_range": object})
    window.loc[: int(0.3 * len(window)) - 1, "salary_range"] = None
    finding = _only(quality_findings(window, contract), "missing_values", "salary_range")
    assert (finding.severity, finding.observed) == ("critical", pytest.approx(0.3))


def test_unseen_categories_are_flagged_and_named(
    batch: pd.DataFrame, contract: DataContract
) -> None:
    window = batch.copy()
    window.loc[:9, "salary_range"] = "90K+ €"
    window.loc[10:11, "salary_range"] = "n/a"
    finding = _only(quality_findings(window, contract), "unseen_categories", "salary_range")
    assert finding.severity == "warning"
    assert finding.observed == pytest.approx(12 / len(window))
    assert "'90K+ €', 'n/a'" in finding.message
    expected = {"rows": 12, "unseen": 2, "values": "'90K+ €', 'n/a'"}
    assert finding.details.items() >= expected.items()
    window.loc[:200, "salary_range"] = "90K+ €"
    again = _only(quality_findings(window, contract), "unseen_categories", "salary_range")
    assert again.severity == "critical"


def test_injected_outliers_are_found(batch: pd.DataFrame, contract: DataContract) -> None:
    window = batch.copy()
    col = contract.columns["car_value"]
    assert col.mean is not None and col.std is not None
    rows = np.arange(0, len(window), 20)  # 5 % of the rows
    window.loc[rows, "car_value"] = col.mean + 8 * col.std
    finding = _only(quality_findings(window, contract), "outliers", "car_value")
    assert finding.severity == "warning"  # 5 % is not above the 5 % critical bound
    assert finding.observed == pytest.approx(0.05)
    assert finding.details["z_share"] == pytest.approx(0.05)
    assert finding.details["iqr_extreme_share"] == pytest.approx(0.05)
    window.loc[rows + 1, "car_value"] = col.mean - 9 * col.std
    assert _only(quality_findings(window, contract), "outliers", "car_value").severity == (
        "critical"
    )


def test_clean_normal_data_has_no_outliers() -> None:
    rng = np.random.default_rng(7)
    rows = 100_000
    reference = pd.DataFrame({"id": np.arange(rows), "t": "2024-01-01", "x": rng.normal(size=rows)})
    contract = DataContract.infer(
        reference, features=["x"], categorical=[], id_column="id", timestamp_column="t"
    )
    window = reference.assign(x=rng.normal(size=rows))
    finding = _only(quality_findings(window, contract), "outliers", "x")
    assert finding.severity == "none"
    assert finding.observed is not None
    assert finding.observed < 0.001
    # about 0.7 % of normal values are beyond the inner fences: reported, not graded
    assert 0.004 < float(finding.details["iqr_mild_share"]) < 0.01  # type: ignore[arg-type]


def test_iqr_fences_catch_outliers_a_large_std_hides() -> None:
    """A reference with one huge value has a big std (|z| never exceeds 4) but tight quartiles."""
    values = np.r_[np.linspace(0.0, 1.0, 999), 1e6]
    reference = pd.DataFrame({"id": range(1000), "t": "2024-01-01", "x": values})
    contract = DataContract.infer(
        reference, features=["x"], categorical=[], id_column="id", timestamp_column="t"
    )
    window = reference.assign(x=np.r_[np.full(100, 10.0), np.linspace(0, 1, 900)])
    finding = _only(quality_findings(window, contract), "outliers", "x")
    assert finding.details["z_share"] == 0.0
    assert finding.details["iqr_extreme_share"] == pytest.approx(0.1)
    assert finding.severity == "critical"


def test_values_outside_the_reference_range(batch: pd.DataFrame, contract: DataContract) -> None:
    window = batch.copy()
    window.loc[:29, "loan_length"] = 60.0  # 30 of 2000 rows: 1.5 %
    window.loc[30, "loan_length"] = -np.inf
    finding = _only(quality_findings(window, contract), "out_of_range", "loan_length")
    assert finding.severity == "warning"
    assert finding.observed == pytest.approx(31 / len(window))
    assert finding.details["above_max"] == 30
    assert finding.details["below_min"] == 1
    assert finding.details["observed_max"] == 60.0
    assert "outside the reference range [6, 22]" in finding.message


def test_empty_window(batch: pd.DataFrame, contract: DataContract) -> None:
    findings = quality_findings(batch.iloc[0:0], contract)
    empty = _only(findings, "empty_window", None)
    assert (empty.severity, empty.observed) == ("critical", 0.0)
    assert empty.message == "window: empty, no rows (expected at least 1)"
    # schema is still checked; value checks have nothing to look at
    assert {f.sub_check for f in findings} == {"empty_window", "schema"}
    assert worst_severity(findings) == "critical"


def test_all_nan_column(batch: pd.DataFrame, contract: DataContract) -> None:
    window = batch.assign(car_value=np.nan)
    findings = quality_findings(window, contract)
    finding = _only(findings, "all_nan_column", "car_value")
    assert finding.severity == "critical"
    assert finding.message == f"column 'car_value': every value is missing ({len(batch)} rows)"
    # one alert for the column, not a second one for its missing share or range
    assert [f.sub_check for f in findings if f.column == "car_value"] == [
        "schema",
        "all_nan_column",
    ]


def test_extra_and_missing_columns(batch: pd.DataFrame, contract: DataContract) -> None:
    window = batch.drop(columns=["loan_length"]).assign(y_pred=1)
    findings = quality_findings(window, contract)
    missing = _only(findings, "schema", "loan_length")
    assert missing.severity == "critical"
    assert missing.message == (
        "column 'loan_length': missing (expected a feature column, numeric (float64))"
    )
    extra = _only(findings, "schema", "y_pred")
    assert (extra.severity, extra.details["problem"]) == ("warning", "extra")
    assert not [f for f in findings if f.column == "loan_length" and f.sub_check != "schema"]


def test_dtype_mismatch_is_a_schema_finding_and_other_checks_still_run(
    batch: pd.DataFrame, contract: DataContract
) -> None:
    window = batch.astype({"car_value": object})
    window.loc[3, "car_value"] = "abc"
    window.loc[4, "car_value"] = 1e9  # also out of range
    findings = quality_findings(window, contract)
    schema = _only(findings, "schema", "car_value")
    assert schema.severity == "critical"
    assert schema.message == (
        "column 'car_value': 0.05% of values are not numeric (float64) "
        "(first bad value 'abc' at row 3)"
    )
    out_of_range = _only(findings, "out_of_range", "car_value")
    assert out_of_range.details["above_max"] == 1
    assert out_of_range.details["values"] == len(batch) - 1
    wrong_type = _only(
        quality_findings(batch.assign(loan_length=True), contract), "schema", "loan_length"
    )
    assert wrong_type.message == "column 'loan_length': expected numeric (float64), got bool"
    all_nat = batch.assign(loan_length=pd.NaT)  # a wrong dtype even with no value in it
    findings = quality_findings(all_nat, contract)
    assert _only(findings, "schema", "loan_length").severity == "critical"
    assert _only(findings, "all_nan_column", "loan_length").severity == "critical"


def test_duplicate_ids(batch: pd.DataFrame, contract: DataContract) -> None:
    window = batch.copy()
    window.loc[5, "id"] = window.loc[4, "id"]
    finding = _only(quality_findings(window, contract), "duplicate_ids", "id")
    assert (finding.severity, finding.details["duplicate_rows"]) == ("warning", 1)
    window.loc[100:200, "id"] = 7
    assert _only(quality_findings(window, contract), "duplicate_ids", "id").severity == "critical"


def test_per_column_thresholds_override_the_defaults(
    batch: pd.DataFrame, contract: DataContract
) -> None:
    window = batch.copy()
    window.loc[: int(0.3 * len(window)) - 1, ["car_value", "loan_length"]] = np.nan
    thresholds = QualityThresholds.model_validate(
        {"columns": {"car_value": {"missing_values": {"warning": 0.25, "critical": 0.5}}}}
    )
    findings = quality_findings(window, contract, thresholds=thresholds)
    tolerant = _only(findings, "missing_values", "car_value")
    assert (tolerant.severity, tolerant.threshold) == ("warning", 0.25)
    assert _only(findings, "missing_values", "loan_length").severity == "critical"


def test_thresholds_for_an_unknown_column_are_a_config_error(
    batch: pd.DataFrame, contract: DataContract
) -> None:
    thresholds = QualityThresholds.model_validate({"columns": {"car_valu": {}}})
    with pytest.raises(ConfigError, match=r"columns \['car_valu'\] are not in the data contract"):
        quality_findings(batch, contract, thresholds=thresholds)


def test_findings_are_json_scalars_an_alert_can_carry(
    batch: pd.DataFrame, contract: DataContract
) -> None:
    window = batch.copy()
    window.loc[:300, "car_value"] = np.nan
    window.loc[0, "salary_range"] = "new"
    for finding in quality_findings(window.assign(extra=1), contract):
        document = json.loads(finding.model_dump_json())
        assert QualityFinding.model_validate(document) == finding
        assert len(finding.details) <= 20
        assert all(len(key) <= 64 for key in finding.details)
        assert finding.check.startswith("data_quality.")


def test_never_raises_on_hostile_data(contract: DataContract) -> None:
    window = pd.DataFrame(
        {
            "id": ["a", None, "a"],
            "timestamp": [1.5, None, "noon"],
            "car_value": [[1], {"x": 2}, None],
            "debt_to_income_ratio": [np.inf, -np.inf, np.nan],
            "loan_length": pd.array([1, None, 3], dtype="Int64"),
            "salary_range": [1, True, 2.5],
            "repaid_loan_on_prev_car": [None, None, None],
            7: [1, 2, 3],
        }
    )
    findings = quality_findings(window, contract)
    severities = {(f.sub_check, f.column): f.severity for f in findings}
    assert severities[("schema", "car_value")] == "critical"
    assert severities[("schema", "timestamp")] == "critical"
    assert severities[("all_nan_column", "repaid_loan_on_prev_car")] == "critical"
    assert severities[("out_of_range", "debt_to_income_ratio")] == "critical"
    assert severities[("unseen_categories", "salary_range")] == "critical"
    assert severities[("duplicate_ids", "id")] == "critical"
    assert severities[("schema", "7")] == "warning"
