"""A small car-loan-like scored batch and its audit, shared by the audit tests."""

from __future__ import annotations

import numpy as np
import pandas as pd

import glassbox  # noqa: F401  (telemetry off before any tracking library)
from glassbox.audit import AuditBatch, ModelIdentity, build_audit

FEATURES = ["car_value", "debt_to_income_ratio", "loan_length", "salary_range", "repaid_prev"]
MODEL = ModelIdentity("car-loan-default", "3", "f1" * 32)


def make_batch(rows: int = 12, seed: int = 7) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Scored rows (features + id + event time) and the model's outputs for them."""
    rng = np.random.default_rng(seed)
    batch = pd.DataFrame(
        {
            "id": np.arange(1000, 1000 + rows),
            "timestamp": pd.date_range("2018-03-01 09:00:00.123456", periods=rows, freq="17min"),
            "car_value": rng.uniform(10_000, 60_000, rows).round(3),
            "debt_to_income_ratio": rng.uniform(0, 1, rows),
            "loan_length": rng.integers(6, 60, rows),
            "salary_range": rng.choice(["0 - 20K €", "20K - 40K €", "40K+ €"], rows),
            "repaid_prev": rng.random(rows) > 0.5,
        }
    )
    proba = rng.uniform(0, 1, rows)
    predictions = pd.DataFrame({"proba": proba, "label": (proba > 0.5).astype(int)})
    return batch, predictions


def audit_of(batch: pd.DataFrame, predictions: pd.DataFrame, **kw: object) -> AuditBatch:
    args: dict[str, object] = {
        "feature_columns": FEATURES,
        "id_column": "id",
        "timestamp_column": "timestamp",
        "model": MODEL,
        "batch_id": "wf-uid-1/score",
    }
    args.update(kw)
    return build_audit(batch, predictions, **args)  # type: ignore[arg-type]
