"""DataContract: inferred from reference data, round-trips through JSON, rejects bad documents."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from glassbox.errors import ConfigError, DataValidationError
from glassbox.quality import ColumnContract, ContractViolationError, DataContract

from ._frames import CONTRACT_COLUMNS, FEATURES, SALARY, loans


def test_infer_assigns_roles_kinds_and_requires_every_named_column(
    contract: DataContract,
) -> None:
    kinds = {name: (col.role, col.kind) for name, col in contract.columns.items()}
    assert kinds == {
        "car_value": ("feature", "numeric"),
        "debt_to_income_ratio": ("feature", "numeric"),
        "loan_length": ("feature", "numeric"),
        "salary_range": ("feature", "categorical"),
        "repaid_loan_on_prev_car": ("feature", "categorical"),
        "id": ("id", "numeric"),
        "timestamp": ("timestamp", "datetime"),
        "repaid": ("target", "numeric"),
    }
    assert contract.required_columns == [*FEATURES, "id", "timestamp", "repaid"]
    assert contract.features == FEATURES
    assert (contract.id_column, contract.timestamp_column, contract.target_column) == (
        "id",
        "timestamp",
        "repaid",
    )
    assert contract.reference_rows == 3_000
    assert contract.columns["timestamp"].dtype == "object"
    assert contract.columns["id"].dtype == "int64"
    assert not any(col.nullable for col in contract.columns.values())


def test_infer_records_reference_statistics(
    reference: pd.DataFrame, contract: DataContract
) -> None:
    values = reference["car_value"].to_numpy()
    col = contract.columns["car_value"]
    assert (col.min, col.max) == (values.min(), values.max())
    assert col.q1 == pytest.approx(np.quantile(values, 0.25))
    assert col.median == pytest.approx(np.median(values))
    assert col.q3 == pytest.approx(np.quantile(values, 0.75))
    assert col.mean == pytest.approx(values.mean())
    assert col.std == pytest.approx(values.std(ddof=1))
    assert contract.columns["salary_range"].min is None  # no statistics for categoricals
    assert contract.columns["id"].mean is None  # nor for ids


def test_categories_are_sorted_string_labels(contract: DataContract) -> None:
    assert contract.categories() == {
        "salary_range": sorted(SALARY),
        "repaid_loan_on_prev_car": ["False", "True"],
    }


def test_integral_float_categories_match_integers() -> None:
    reference = loans(100, seed=1).assign(band=np.tile([1.0, 2.0, np.nan, 3.0], 25))
    contract = DataContract.infer(
        reference,
        features=["band"],
        categorical=["band"],
        id_column="id",
        timestamp_column="timestamp",
    )
    band = contract.columns["band"]
    assert (band.categories, band.nullable, band.missing_share) == (["1", "2", "3"], True, 0.25)


def test_features_of_other_dtypes_get_matching_kinds() -> None:
    reference = loans(50, seed=2).assign(
        flag=lambda df: df["car_value"] > 30_000,
        seen=lambda df: pd.to_datetime(df["timestamp"]),
        code=lambda df: df["salary_range"].str.len(),
    )
    contract = DataContract.infer(
        reference,
        features=["flag", "seen", "code"],
        categorical=[],
        id_column="salary_range",
        timestamp_column="timestamp",
        target_column="repaid_loan_on_prev_car",
    )
    kinds = {name: col.kind for name, col in contract.columns.items()}
    assert kinds == {
        "flag": "boolean",
        "seen": "datetime",
        "code": "numeric",
        "salary_range": "categorical",
        "timestamp": "datetime",
        "repaid_loan_on_prev_car": "boolean",
    }
    assert contract.columns["salary_range"].categories is None  # ids carry no category list


def test_numeric_feature_with_bad_reference_values_keeps_numeric_kind() -> None:
    reference = loans(30, seed=3).astype({"car_value": object})
    reference.loc[4, "car_value"] = "abc"
    contract = DataContract.infer(reference, **CONTRACT_COLUMNS)
    col = contract.columns["car_value"]
    assert (col.kind, col.dtype) == ("numeric", "float64")
    finite = pd.to_numeric(reference["car_value"], errors="coerce").dropna()
    assert col.max == finite.max()


def test_huge_values_keep_finite_statistics() -> None:
    reference = loans(20, seed=4).assign(car_value=[1.7e308, -1.7e308] * 10)
    contract = DataContract.infer(reference, **CONTRACT_COLUMNS)
    col = contract.columns["car_value"]
    assert col.mean == pytest.approx(0.0, abs=1e295)
    assert col.median == pytest.approx(0.0, abs=1e295)
    assert col.std is not None and np.isfinite(col.std) and col.std > 1e308
    assert DataContract.from_json(contract.to_json()) == contract


def test_json_round_trip_through_a_file(contract: DataContract, tmp_path: Path) -> None:
    path = tmp_path / "contract.json"
    path.write_text(contract.to_json())
    loaded = DataContract.from_json(path.read_text(), source=str(path))
    assert loaded == contract
    assert loaded.to_json() == contract.to_json()
    document = json.loads(path.read_text())
    assert document["version"] == 1
    assert document["columns"]["salary_range"]["categories"] == sorted(SALARY)


def _document(contract: DataContract) -> dict[str, object]:
    return json.loads(contract.to_json())


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda d: d.update(owner="me"), r"field 'owner': Extra inputs are not permitted"),
        (
            lambda d: d["columns"]["car_value"].update(kind="text"),
            r"field 'columns\.car_value\.kind': Input should be 'numeric'",
        ),
        (
            lambda d: d["columns"]["car_value"].update(min=10**9),
            r"field 'columns\.car_value': expected min <= q1 <= median <= q3 <= max",
        ),
        (
            lambda d: d["columns"]["car_value"].update(q3=None),
            r"numeric statistics are all-or-nothing; missing \['q3'\]",
        ),
        (
            lambda d: d["columns"]["loan_length"].update(categories=["a"]),
            r"categories are only allowed for kind 'categorical', not 'numeric'",
        ),
        (
            lambda d: d["required_columns"].append("ghost"),
            r"required columns \['ghost'\] have no column entry",
        ),
        (lambda d: d.update(version=2), r"unsupported contract version 2"),
    ],
    ids=[
        "extra field",
        "bad kind",
        "min above max",
        "partial stats",
        "stray categories",
        "unknown required",
        "future version",
    ],
)
def test_bad_contract_documents_name_the_field(
    contract: DataContract, edit: object, expected: str
) -> None:
    document = _document(contract)
    edit(document)  # type: ignore[operator]
    with pytest.raises(DataValidationError, match=rf"^contract: run/contract\.json: .*{expected}"):
        DataContract.from_json(json.dumps(document), source="run/contract.json")


def test_not_json_at_all() -> None:
    with pytest.raises(DataValidationError, match=r"^contract: c\.json: field 'contract': "):
        DataContract.from_json("{not json", source="c.json")


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        (
            {"categorical": ["colour"]},
            r"categorical columns \['colour'\] are not listed in features",
        ),
        ({"id_column": "car_value"}, r"column 'car_value' is named twice \(as feature and as id\)"),
        ({"features": "car_value"}, r"features: expected a list of column names, got a string"),
        ({"features": [], "categorical": []}, r"expected at least one feature column"),
        ({"target_column": ""}, r"target column: expected a non-empty name"),
    ],
)
def test_inconsistent_column_lists_are_config_errors(
    reference: pd.DataFrame, kwargs: dict[str, object], expected: str
) -> None:
    with pytest.raises(ConfigError, match=expected):
        DataContract.infer(reference, **{**CONTRACT_COLUMNS, **kwargs})


def test_reference_problems_name_the_source_and_every_missing_column(
    reference: pd.DataFrame,
) -> None:
    with pytest.raises(ContractViolationError) as caught:
        DataContract.infer(
            reference.iloc[0:0].drop(columns=["repaid", "loan_length"]),
            **CONTRACT_COLUMNS,
            source="runs:/abc/raw/reference.parquet",
        )
    assert caught.value.problems == (
        "contract: runs:/abc/raw/reference.parquet: empty table: no rows (expected at least 1 row)",
        "contract: runs:/abc/raw/reference.parquet: column 'loan_length': missing "
        "(listed as a feature)",
        "contract: runs:/abc/raw/reference.parquet: column 'repaid': missing "
        "(listed as the target column)",
    )
    assert isinstance(caught.value, DataValidationError)


def test_without_drops_columns_for_batches_that_lack_them(contract: DataContract) -> None:
    production = contract.without("repaid")
    assert "repaid" not in production.columns
    assert "repaid" not in production.required_columns
    assert production.target_column is None
    assert production.columns["car_value"] == contract.columns["car_value"]
    with pytest.raises(KeyError, match=r"no column\(s\) \['nope'\] to drop"):
        contract.without("nope")


def test_column_contract_describe() -> None:
    numeric = ColumnContract(role="feature", kind="numeric", dtype="int64", nullable=False)
    assert numeric.describe() == "numeric (int64)"
    assert not numeric.has_stats
