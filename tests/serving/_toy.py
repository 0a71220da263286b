"""A small real model served in-process: the car-loan pipeline (glassbox.model.build) fitted on
synthetic loans, its data contract and its drift reference profile — no MLflow needed."""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np
import pandas as pd

from glassbox import model as gm
from glassbox.config import DataSettings, ModelSettings
from glassbox.drift import DriftCalculator
from glassbox.features import prepare
from glassbox.quality import DataContract
from glassbox.serving import ServedModel, ServingSettings, VersionRef
from glassbox.serving._records import RecordSchema

DATA = DataSettings(
    numeric_features=("car_value", "debt_to_income_ratio", "loan_length"),
    categorical_features=("salary_range", "repaid_loan_on_prev_car"),
)
SALARY = ["0 - 20K €", "20K - 40K €", "40K - 60K €", "60K+ €"]


def loans(rows: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    value = rng.normal(30_000.0, 5_000.0, rows).round(0)
    ratio = rng.uniform(0.2, 0.8, rows)
    return pd.DataFrame(
        {
            "id": np.arange(rows),
            "timestamp": pd.date_range("2024-01-01", periods=rows, freq="min"),
            "car_value": value,
            "debt_to_income_ratio": ratio,
            "loan_length": rng.integers(6, 23, rows).astype("float64"),
            "salary_range": rng.choice(np.array(SALARY, dtype=object), rows),
            "repaid_loan_on_prev_car": rng.random(rows) < 0.5,
            "repaid": ((ratio < 0.5) ^ (rng.random(rows) < 0.1)).astype("int64"),
        }
    )


@cache
def fitted(seed: int = 3) -> tuple[Any, DataContract, Any]:
    raw = loans(2000, seed)
    contract = DataContract.infer(
        raw,
        features=list(DATA.features),
        categorical=list(DATA.categorical_features),
        id_column="id",
        timestamp_column="timestamp",
        target_column="repaid",
    )
    train = prepare(raw, DATA)
    categories = {c: sorted(train[c].unique().tolist()) for c in DATA.categorical_features}
    settings = ModelSettings(max_iter=20)
    estimator = gm.build(settings, DATA, categories, seed).fit(
        gm.features_frame(train, DATA), train["repaid"]
    )
    frame = gm.features_frame(train, DATA).assign(
        y_pred_proba=estimator.predict_proba(gm.features_frame(train, DATA))[:, 1]
    )
    profile = (
        DriftCalculator(
            features=list(DATA.features),
            categorical=list(DATA.categorical_features),
            prediction_columns=["y_pred_proba"],
        )
        .fit(frame)
        .profile
    )
    return estimator, contract, profile


def served(
    version: str = "1", seed: int = 3, settings: ServingSettings | None = None
) -> ServedModel:
    estimator, contract, profile = fitted(seed)
    settings = settings or ServingSettings()
    ref = VersionRef(
        "car-loan-default", version, f"run-{version}", gm.fingerprint(estimator), "champion"
    )
    schema = RecordSchema(contract, max_records=settings.requests.max_records)
    return ServedModel(ref, estimator, contract, profile, schema, train_run_id="train")


@cache
def _rows() -> list[dict[str, Any]]:
    return loans(50, 11).to_dict("records")


def record(i: int = 0, **overrides: Any) -> dict[str, Any]:
    """A valid request record (JSON types) from the synthetic data."""
    row = _rows()[i % 50]
    out = {
        "car_value": float(row["car_value"]),
        "debt_to_income_ratio": float(row["debt_to_income_ratio"]),
        "loan_length": int(row["loan_length"]),
        "salary_range": str(row["salary_range"]),
        "repaid_loan_on_prev_car": bool(row["repaid_loan_on_prev_car"]),
    }
    return out | overrides
