"""Seeded synthetic windows for the benchmarks: 20 numeric columns, drift injected in a few.

Every (seed, part) pair gives the same data on every machine, so a shard can be regenerated in
its own process (``part`` = shard index) and the full window never has to sit in memory. The
frame is built column by column into one preallocated (columns x rows) block, so each column is a
contiguous float64 view and no intermediate copy of the whole frame is made.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

N_COLUMNS = 20
DRIFTED = ("x00", "x01", "x02")
"""Columns that drift in a drifted window: mean shift, scale change, 25% of the mass moved."""

Maker = Callable[[np.random.Generator, np.ndarray], None]


def _normal(rng: np.random.Generator, out: np.ndarray) -> None:
    rng.standard_normal(out=out)


def _lognormal(rng: np.random.Generator, out: np.ndarray) -> None:
    rng.standard_normal(out=out)
    np.exp(out * 0.6, out=out)


def _uniform(rng: np.random.Generator, out: np.ndarray) -> None:
    rng.random(out=out)


def _exponential(rng: np.random.Generator, out: np.ndarray) -> None:
    rng.standard_exponential(out=out)


def _counts(rng: np.random.Generator, out: np.ndarray) -> None:  # heavy ties
    out[:] = rng.poisson(4.0, size=out.size)


def _bimodal(rng: np.random.Generator, out: np.ndarray) -> None:
    rng.standard_normal(out=out)
    out += np.where(rng.random(out.size) < 0.4, -3.0, 2.0)


KINDS: tuple[Maker, ...] = (_normal, _lognormal, _uniform, _exponential, _counts, _bimodal)


def column_names(n_columns: int = N_COLUMNS) -> list[str]:
    return [f"x{i:02d}" for i in range(n_columns)]


def make_frame(
    rows: int, seed: int, *, drifted: bool = False, part: int = 0, n_columns: int = N_COLUMNS
) -> pd.DataFrame:
    """``rows`` rows of ``n_columns`` float64 columns; ``drifted`` moves the DRIFTED columns."""
    block = np.empty((n_columns, rows), dtype=np.float64)
    children = np.random.SeedSequence([seed, part, int(drifted)]).spawn(n_columns)
    names = column_names(n_columns)
    for i, (name, child) in enumerate(zip(names, children, strict=True)):
        rng = np.random.default_rng(child)
        out = block[i]
        KINDS[i % len(KINDS)](rng, out)
        if drifted:
            _inject(name, rng, out)
    return pd.DataFrame(block.T, columns=names, copy=False)


def _inject(name: str, rng: np.random.Generator, out: np.ndarray) -> None:
    if name == "x00":  # normal: +0.5 sd mean shift
        out += 0.5
    elif name == "x01":  # lognormal: 1.5x scale
        out *= 1.5
    elif name == "x02":  # uniform: 25% of rows moved to [1, 1.5)
        moved = rng.random(out.size) < 0.25
        out[moved] = 1.0 + 0.5 * rng.random(int(moved.sum()))
