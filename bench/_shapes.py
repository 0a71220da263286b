"""Seeded populations of many column shapes, with labels and a calibrated model's probability,
and the changes the false-alarm benchmark injects (bench/false_alarms.py).

Columns: ``normal``, ``lognormal``, ``pareto`` (tail index 2.5), ``counts`` (Poisson, ties),
``zero_inflated`` (40 % zeros + gamma), ``bimodal``, ``segment`` (categorical with rare levels
down to 0.3 %), ``code`` (integer codes 1..12), ``with_missing`` (normal, 5 % missing at a
constant rate); ``p`` is the true P(y=1 | x) (a perfectly calibrated model), ``y`` the label.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

NUMERIC = ("normal", "lognormal", "pareto", "counts", "zero_inflated", "bimodal", "code",
           "with_missing")  # fmt: skip
CATEGORICAL = ("segment",)
FEATURES = (*NUMERIC, *CATEGORICAL)
LEVELS = np.array(["a", "b", "c", "d", "e", "r1", "r2", "r3"])
SHARES = np.array([0.35, 0.25, 0.2, 0.1, 0.07, 0.02, 0.007, 0.003])
MISSING_RATE = 0.05
CHANGES = ("shift_0.2sd", "missing_+10pts", "shares_flipped", "tail_doubled", "labels_flipped")
SHIFTED = ("normal", "lognormal", "pareto", "counts", "zero_inflated", "bimodal", "code")
TAILED = ("lognormal", "pareto")


def _sd(name: str) -> float:
    """Population standard deviations (large-sample, fixed)."""
    return _SD[name]


def _base(rng: np.random.Generator, n: int, shift: str | None) -> dict[str, np.ndarray]:
    def delta(name: str) -> float:
        return 0.2 * _sd(name) if shift == name else 0.0

    zeros = rng.random(n) < 0.4
    upper = rng.random(n) < 0.5
    lam = 3.0 + (0.2 * np.sqrt(3.0) if shift == "counts" else 0.0)
    code = rng.integers(1, 13, n).astype(np.float64)
    if shift == "code":  # +1 on a share of rows: a 0.2-sd mean shift of an integer code
        code += rng.random(n) < 0.2 * _sd("code")
    return {
        "normal": rng.normal(50, 10, n) + delta("normal"),
        "lognormal": rng.lognormal(0, 0.8, n) + delta("lognormal"),
        "pareto": (rng.pareto(2.5, n) + 1) * 10 + delta("pareto"),
        "counts": rng.poisson(lam, n).astype(np.float64),
        "zero_inflated": np.where(zeros, 0.0, rng.gamma(2.0, 3.0, n) + delta("zero_inflated")),
        "bimodal": np.where(upper, rng.normal(3, 1.5, n), rng.normal(-2, 1, n)) + delta("bimodal"),
        "code": code,
        "with_missing": np.where(rng.random(n) < MISSING_RATE, np.nan, rng.normal(0, 1, n)),
    }


def population(
    rng: np.random.Generator, n: int, change: str | None = None, column: str | None = None
) -> pd.DataFrame:
    """``n`` rows; ``change`` (one of :data:`CHANGES`) applied to ``column`` when given."""
    cols = _base(rng, n, column if change == "shift_0.2sd" else None)
    shares = SHARES[::-1] if change == "shares_flipped" else SHARES
    cols["segment"] = rng.choice(LEVELS, n, p=shares)
    if change == "tail_doubled" and column is not None:
        cols[column] = _doubled_tail(rng, cols[column], column)
    logit = (
        0.08 * (cols["normal"] - 50)
        + 0.6 * np.log(cols["lognormal"])
        - 0.3 * (cols["counts"] - 3)
        + 0.15 * cols["bimodal"]
        + 0.8 * np.isin(cols["segment"], ["a", "b"])
        - 1.0
    )
    p = 1.0 / (1.0 + np.exp(-logit))
    y = (rng.random(n) < p).astype(np.int64)
    if change == "labels_flipped":  # P(y|x) reversed in one subgroup (segment b, 25 %)
        flip = cols["segment"] == "b"
        y[flip] = 1 - y[flip]
    frame = pd.DataFrame(cols).assign(p=p, y=y)
    if change == "missing_+10pts" and column is not None:
        frame.loc[rng.random(n) < 0.10 / (1 - frame[column].isna().mean()), column] = np.nan
    return frame


def _doubled_tail(rng: np.random.Generator, values: np.ndarray, column: str) -> np.ndarray:
    """Twice the reference's mass beyond its 95th percentile (5 % -> 10 %)."""
    q95 = _Q95[column]
    out = values.copy()
    below = np.flatnonzero(out <= q95)
    moved = rng.choice(below, size=round(0.05 * out.size), replace=False)
    tail = np.empty(0)
    while tail.size < moved.size:  # draws from the column's own tail, beyond q95
        fresh = _base(rng, 20 * moved.size + 100, None)[column]
        tail = np.concatenate([tail, fresh[fresh > q95]])
    out[moved] = tail[: moved.size]
    return out


def _moments() -> tuple[dict[str, float], dict[str, float]]:
    big = _base(np.random.default_rng(12345), 2_000_000, None)
    sd = {k: float(np.nanstd(v)) for k, v in big.items()}
    q95 = {k: float(np.nanquantile(v, 0.95)) for k, v in big.items()}
    return sd, q95


_SD, _Q95 = _moments()
