"""A regression data set as a user would bring it (reference, production, delayed targets):
trip duration from distance, load and region, with noise that grows with the distance. In the
production batch the last months' distances are longer: the target moves and the model's error
grows (the larger the distance, the noisier the duration), so realized and DLE-estimated error
rise where the shift starts."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

REGIONS = np.array(["north", "south", "east", "west"])


def trips(
    rows: int, start: str, months: int, seed: int, *, shift_from: float = 1.0, shift: float = 0.0
) -> pd.DataFrame:
    """``rows`` trips over ``months`` months from ``start``; from the ``shift_from`` share of
    the rows on, the distance (standardised) moves by ``shift``."""
    rng = np.random.default_rng(seed)
    distance = rng.normal(0, 1, rows)
    distance[int(rows * shift_from) :] += shift
    load = rng.uniform(0, 10, rows)
    region = rng.choice(REGIONS, rows, p=[0.4, 0.3, 0.2, 0.1])
    noise = rng.normal(0, 1, rows) * (2 + 3 * np.maximum(distance, 0))
    duration = 50 + 8 * distance + 2 * load + 5 * (region == "south") + noise
    seconds = np.sort(rng.uniform(0, months * 30 * 86_400, rows))
    return pd.DataFrame(
        {
            "trip_id": np.arange(rows) + (0 if start < "2024" else 10**6),
            "started_at": pd.Timestamp(start) + pd.to_timedelta(seconds, unit="s"),
            "distance": distance.round(4),
            "load": load.round(3),
            "region": region,
            "duration": duration.round(3),
        }
    )


def write_files(where: Path) -> dict[str, Path]:
    """reference.csv (6 months, labelled), production.csv (4 months; the distance moves in the
    last two) and targets.csv (the production labels, arriving later), in ``where``."""
    reference = trips(20_000, "2023-01-01", 6, seed=1)
    production = trips(20_000, "2024-01-01", 4, seed=2, shift_from=0.5, shift=1.2)
    files = {name: where / f"{name}.csv" for name in ("reference", "production", "targets")}
    reference.to_csv(files["reference"], index=False)
    production.drop(columns="duration").to_csv(files["production"], index=False)
    production.loc[:, ["trip_id", "duration"]].to_csv(files["targets"], index=False)
    return files
