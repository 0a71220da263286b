"""Seeded synthetic windows shared by the drift tests."""

from __future__ import annotations

import numpy as np
import pandas as pd

NUMERIC = ["normal", "lognormal", "uniform", "counts", "bimodal", "score"]
CATEGORICAL = ["segment", "flag"]
SEGMENTS = ["a", "b", "c", "d"]
SEGMENT_SHARES = [0.5, 0.25, 0.15, 0.1]


def window(
    rows: int,
    seed: int,
    *,
    shift_sd: dict[str, float] | None = None,
    segment_shares: list[float] | None = None,
) -> pd.DataFrame:
    """Features of every kind (continuous, skewed, ties, bimodal), a category and a prediction.

    ``shift_sd`` moves a numeric column's mean by that many (reference) standard deviations.
    """
    rng = np.random.default_rng(seed)
    shift = shift_sd or {}
    bimodal = np.where(rng.random(rows) < 0.4, rng.normal(-2, 0.5, rows), rng.normal(2, 1, rows))
    frame = pd.DataFrame(
        {
            "normal": rng.normal(10, 2, rows) + 2 * shift.get("normal", 0.0),
            "lognormal": rng.lognormal(0, 0.7, rows),
            "uniform": rng.uniform(-1, 1, rows),
            "counts": rng.poisson(3, rows).astype(np.int64),
            "bimodal": bimodal,
            "segment": rng.choice(SEGMENTS, rows, p=segment_shares or SEGMENT_SHARES),
            "flag": rng.random(rows) < 0.3,
            "score": rng.beta(2, 5, rows),
        }
    )
    return frame


def calculator_columns() -> dict[str, list[str]]:
    return {
        "features": [c for c in NUMERIC if c != "score"] + CATEGORICAL,
        "categorical": CATEGORICAL,
        "prediction_columns": ["score"],
    }
