"""Synthetic car-loan-like frames for the quality tests (seeded, small, fast to build)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

NUMERIC = ["car_value", "debt_to_income_ratio", "loan_length"]
CATEGORICAL = ["salary_range", "repaid_loan_on_prev_car"]
FEATURES = NUMERIC + CATEGORICAL
SALARY = ["0 - 20K €", "20K - 40K €", "40K - 60K €", "60K+ €"]
CONTRACT_COLUMNS: dict[str, Any] = {
    "features": FEATURES,
    "categorical": CATEGORICAL,
    "id_column": "id",
    "timestamp_column": "timestamp",
    "target_column": "repaid",
}


def loans(rows: int, seed: int, first_id: int = 0) -> pd.DataFrame:
    """A raw batch as extract would hand it over: timestamps as text, booleans as bool."""
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2024-01-01") + pd.Timedelta(minutes=first_id)
    return pd.DataFrame(
        {
            "id": np.arange(first_id, first_id + rows),
            "timestamp": pd.date_range(start, periods=rows, freq="min").strftime(
                "%Y-%m-%d %H:%M:%S"
            ),
            "car_value": rng.normal(30_000.0, 5_000.0, rows).round(0),
            "debt_to_income_ratio": rng.uniform(0.2, 0.8, rows),
            "loan_length": rng.integers(6, 23, rows).astype("float64"),
            "salary_range": rng.choice(np.array(SALARY, dtype=object), rows),
            "repaid_loan_on_prev_car": rng.random(rows) < 0.5,
            "repaid": (rng.random(rows) < 0.7).astype("float64"),
        }
    )
