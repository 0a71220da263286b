"""A user's own table, as a new user would bring it: no id, no timestamp, a dozen mixed
features and a binary label (learnable from the features, or independent of them)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

REGIONS = ["north", "south", "east", "west", "centre"]
PLANS = ["basic", "plus", "pro"]
CHANNELS = ["web", "store", "phone", "partner"]
SEGMENTS = list("ABCDEF")


def own_table(rows: int = 8000, seed: int = 0, *, learnable: bool = True) -> pd.DataFrame:
    """12 features (7 numeric, 5 categorical incl. one boolean) and the label ``churned``."""
    rng = np.random.default_rng(seed)
    df = pd.DataFrame(
        {
            "age": rng.integers(18, 81, rows),
            "income": np.round(rng.lognormal(10.5, 0.5, rows), 2),
            "balance": np.round(rng.normal(2500, 1200, rows), 2),
            "tenure_months": rng.integers(0, 121, rows),
            "num_products": rng.integers(1, 5, rows),
            "credit_score": rng.integers(300, 851, rows),
            "utilization": np.round(rng.uniform(0, 1, rows), 4),
            "region": rng.choice(REGIONS, rows),
            "plan": rng.choice(PLANS, rows, p=[0.5, 0.3, 0.2]),
            "channel": rng.choice(CHANNELS, rows),
            "has_card": rng.random(rows) < 0.6,
            "segment": rng.choice(SEGMENTS, rows),
        }
    )
    if learnable:
        logit = (
            -1.0
            + 4.5 * (df["utilization"] - 0.5)
            - 0.045 * (df["tenure_months"] - 60)
            + 0.9 * (df["plan"] == "basic")
            - 0.8 * df["has_card"]
            - 0.009 * (df["credit_score"] - 575)
            + 0.6 * (df["region"] == "south")
        )
        churned = rng.random(rows) < 1 / (1 + np.exp(-logit))
    else:
        churned = rng.random(rows) < 0.5  # independent of every feature: no model beats chance
    return df.assign(churned=churned.astype("int64"))


def write_table(path: Path, **kwargs: object) -> Path:
    own_table(**kwargs).to_csv(path, index=False)  # type: ignore[arg-type]
    return path
