"""The bundled car-loan data (NannyML's CSV files, read from disk without importing NannyML)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from glassbox.errors import DataValidationError
from glassbox.quality import DataContract, quality_findings, read_table, validate_batch

FEATURES = [
    "car_value",
    "debt_to_income_ratio",
    "loan_length",
    "driver_tenure",
    "salary_range",
    "size_of_downpayment",
    "repaid_loan_on_prev_car",
]
CATEGORICAL = ["salary_range", "size_of_downpayment", "repaid_loan_on_prev_car"]


def _data_file(name: str) -> Path:
    spec = importlib.util.find_spec("nannyml")
    assert spec is not None and spec.submodule_search_locations, "nannyml is a dependency"
    return Path(next(iter(spec.submodule_search_locations))) / "datasets" / "data" / name


@pytest.fixture(scope="module")
def car_loan_contract() -> DataContract:
    reference = read_table(_data_file("synthetic_car_loan_reference.csv"))
    return DataContract.infer(
        reference,
        features=FEATURES,
        categorical=CATEGORICAL,
        id_column="id",
        timestamp_column="timestamp",
        target_column="repaid",
    )


def test_reference_and_production_files_pass_validation(car_loan_contract: DataContract) -> None:
    for name in ("synthetic_car_loan_reference.csv", "synthetic_car_loan_analysis.csv"):
        frame = read_table(_data_file(name))
        if "repaid" not in frame.columns:
            frame = frame.assign(repaid=0)
        validate_batch(frame, car_loan_contract, source=name)
    analysis = read_table(_data_file("synthetic_car_loan_analysis.csv"))
    findings = quality_findings(analysis, car_loan_contract)
    problems = {(f.sub_check, f.column) for f in findings if f.is_problem}
    # NannyML's own model outputs are in the file but not in the contract
    assert problems == {("schema", "y_pred_proba"), ("schema", "y_pred")}


def test_the_data_quality_variant_is_flagged(car_loan_contract: DataContract) -> None:
    """NannyML's dq file has ~16 % missing values in two columns and a new downpayment level."""
    path = _data_file("synthetic_car_loan_dq_analysis.csv")
    frame = read_table(path).drop(columns=["y_pred_proba", "y_pred"])
    findings = quality_findings(frame, car_loan_contract)
    problems = {(f.sub_check, f.column): f for f in findings if f.is_problem}
    assert set(problems) == {
        ("missing_values", "driver_tenure"),
        ("missing_values", "salary_range"),
        ("unseen_categories", "size_of_downpayment"),
    }
    assert problems[("missing_values", "driver_tenure")].severity == "warning"
    assert problems[("missing_values", "driver_tenure")].observed == pytest.approx(0.16, abs=0.01)
    assert "'50%'" in problems[("unseen_categories", "size_of_downpayment")].message
    with pytest.raises(DataValidationError, match=r"column 'driver_tenure': expected no missing"):
        validate_batch(frame.assign(repaid=0), car_loan_contract, source=str(path))
