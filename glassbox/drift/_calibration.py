"""Calibrated thresholds: what a statistic looks like on windows drawn from the reference itself.

A drift statistic's null distribution depends on the column's shape (heavy tails, ties, rare
categories) and on both sample sizes; one fixed limit (PSI 0.1) is too loose for a 1M-row
window and too tight for a 500-row one. The calibrated limit of a column, for a window of ``m``
rows, is the ``1 - a`` quantile of the statistic between two samples drawn from the reference's
own distribution: a reference-sized one (``n`` rows) and a window-sized one (``m`` rows), so
both samples' noise is in it.

* Binned statistics (PSI, Jensen-Shannon, KL): the two samples are multinomial draws over the
  reference bins (numeric columns: its quantile bins; categorical: its categories plus an
  "unseen" bin with the Good-Turing probability of a new category, singletons / n). A draw
  costs O(bins), so any window size, 1k or 1M rows, is calibrated exactly and in milliseconds.
  The limit is the larger of an upper confidence bound on the draws' own quantile (where enough
  draws reach that tail) and the quantile of a scaled chi-square fitted to their mean and
  variance (Satterthwaite), which reaches the far tails a Bonferroni split asks for.
* KS: the two-sample Kolmogorov distribution (exact up to an effective size of 10,000, then the
  limiting one); distribution-free for continuous data and conservative with ties.

``a`` is the false-alarm rate of one check per window split over everything the check tests on
that window (columns x rules x looks, Bonferroni), so the share of same-distribution windows
with *any* alert of that check stays at or below the configured rate. The rate is recorded in
the reference profile; the quantiles are derived from the profile's bins on demand (and cached),
so a long-running process can judge sliding windows of any size.
"""

from __future__ import annotations

import hashlib
import math
from typing import TYPE_CHECKING

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    from glassbox.drift._profile import ColumnReference

BINNED = ("psi", "js_distance", "kl_divergence")
CALIBRATED_METRICS = (*BINNED, "ks_statistic")
_EPSILON = 1e-4  # the smoothing of glassbox.drift._stats (PSI and KL)
_BATCH_CELLS = 4_000_000  # resamples x bins drawn at once (bounded memory)
_MAX_RESAMPLES = 2_000_000


class Calibration(BaseModel):
    """How thresholds are calibrated on the reference (the ``monitoring.calibration`` settings,
    recorded in the reference profile).

    ``false_alarm_rate``: the share of windows drawn from the reference's own distribution on
    which one check (``data_drift``, ``data_quality.outliers``, ``performance``...) may raise
    an alert on any of its columns or chunks. ``resamples``: at least this many reference
    windows per statistic (more when the rate split over many tests needs a far tail).
    ``bootstrap``: resamples of a performance metric's noise."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    false_alarm_rate: float = Field(0.01, gt=0, lt=0.5)
    resamples: int = Field(20_000, ge=1_000, le=_MAX_RESAMPLES)
    bootstrap: int = Field(200, ge=50, le=10_000)
    seed: int = 0

    def per_test(self, tests: int) -> float:
        """The level of one test when the check runs ``tests`` of them on a window."""
        return self.false_alarm_rate / max(tests, 1)


def _rng(*parts: object) -> np.random.Generator:
    digest = hashlib.sha256(repr(parts).encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:16], "little"))


def _shares(counts: np.ndarray, smooth: bool) -> np.ndarray:
    total = counts.sum(axis=1, keepdims=True)
    shares = counts / np.maximum(total, 1)
    if smooth:
        shares = np.where(shares > 0, shares, _EPSILON)
        shares = shares / shares.sum(axis=1, keepdims=True)
    return shares


def binned_statistic(metric: str, reference: np.ndarray, current: np.ndarray) -> np.ndarray:
    """PSI / JS distance / KL of each row pair of two (resamples, bins) count arrays; the same
    conventions as ``glassbox.drift._stats`` (smoothed shares for PSI and KL, base-2 JS)."""
    if metric == "js_distance":
        p, q = _shares(reference, False), _shares(current, False)
        mid = 0.5 * (p + q)
        with np.errstate(divide="ignore", invalid="ignore"):
            left = np.where(p > 0, p * np.log2(p / mid), 0.0)
            right = np.where(q > 0, q * np.log2(q / mid), 0.0)
        return np.sqrt(np.maximum(0.5 * (left.sum(axis=1) + right.sum(axis=1)), 0.0))
    p, q = _shares(reference, True), _shares(current, True)
    if metric == "psi":
        return ((q - p) * np.log(q / p)).sum(axis=1)
    if metric == "kl_divergence":
        return (q * np.log(q / p)).sum(axis=1)
    raise ValueError(f"{metric!r} is not a binned statistic; expected one of {BINNED}")


def _probabilities(reference: ColumnReference) -> tuple[np.ndarray, float]:
    """Reference bin probabilities and the chance that a window value falls in no reference
    category (Good-Turing: categories seen once / n; 0 for numeric bins)."""
    counts = np.asarray(reference.counts, dtype=np.float64)
    n = counts.sum()
    if reference.dtype == "categorical":
        unseen = float((counts == 1).sum()) / n if n else 0.0
        return counts / n, unseen
    return counts / n, 0.0


def _order_statistic(values: np.ndarray, level: float) -> float:
    """An upper confidence bound (~97.5 %) on the ``1 - level`` quantile of ``values``
    (-inf when too few draws lie that far out to say)."""
    expected = level * values.size
    if expected < 10:
        return -math.inf
    k = max(1, math.floor(expected - 2.0 * math.sqrt(expected)))
    return float(np.partition(values, values.size - k)[values.size - k])


def _scaled_chi2(values: np.ndarray, level: float) -> float:
    """The ``1 - level`` quantile of the scaled chi-square with the draws' mean and variance
    (Satterthwaite): binned divergences between two multinomial samples are close to one, and
    it reaches tails the draws cannot."""
    from scipy.stats import chi2

    mean, var = float(values.mean()), float(values.var(ddof=1))
    if mean <= 0 or var <= 0:
        return float(values.max())
    scale = var / (2 * mean)
    return float(scale * chi2.isf(level, mean / scale))


def _quantile(values: np.ndarray, level: float) -> float:
    """The larger of the two estimates: the draws' own far tail where they reach it, and the
    fitted one (so an estimation error makes fewer alarms, not more)."""
    return max(_order_statistic(values, level), _scaled_chi2(values, level))


def binned_limit(
    reference: ColumnReference, metric: str, window: int, level: float, calibration: Calibration
) -> float:
    """The calibrated ``1 - level`` limit of a binned statistic for a window of ``window``
    non-missing values against ``reference``."""
    p, unseen = _probabilities(reference)
    return shares_limit(
        p,
        int(reference.n),
        window,
        metric=metric,
        level=level,
        calibration=calibration,
        unseen=unseen,
        key=reference.name,
    )


def shares_limit(
    p: np.ndarray,
    n: int,
    window: int,
    *,
    metric: str,
    level: float,
    calibration: Calibration,
    unseen: float = 0.0,
    key: str = "",
) -> float:
    """The calibrated ``1 - level`` limit of a binned statistic between a reference of ``n``
    values over bins with shares ``p`` (plus an ``unseen`` bin only a window can fill) and a
    window of ``window`` values: its quantile over multinomial draws of both samples."""
    if unseen > 0:
        window_p = np.append(p * (1 - unseen), unseen)
        reference_p = np.append(p, 0.0)
    else:
        window_p, reference_p = p, p
    resamples = calibration.resamples
    rng = _rng(calibration.seed, key, metric, n, window, level)
    batch = max(1, _BATCH_CELLS // window_p.size)
    values = []
    for start in range(0, resamples, batch):
        size = min(batch, resamples - start)
        drawn_reference = rng.multinomial(n, reference_p, size=size).astype(np.float64)
        drawn_window = rng.multinomial(window, window_p, size=size).astype(np.float64)
        values.append(binned_statistic(metric, drawn_reference, drawn_window))
    return _quantile(np.concatenate(values), level)


def ks_limit(n_reference: int, n_window: int, level: float) -> float:
    """The two-sample KS statistic exceeded with probability ``level`` under the null."""
    from scipy.special import kolmogi
    from scipy.stats import kstwo

    big, small = sorted((float(n_reference), float(n_window)), reverse=True)
    effective = big * small / (big + small)
    if round(effective) <= 10_000:
        return float(kstwo.isf(level, max(1, round(effective))))
    return float(kolmogi(level) / math.sqrt(effective))


def limit(
    reference: ColumnReference, metric: str, window: int, level: float, calibration: Calibration
) -> float:
    """The calibrated limit of ``metric`` for one column and window size (NaN: not defined)."""
    if window <= 0:
        return math.nan
    if metric == "ks_statistic":
        if reference.dtype != "numeric":
            return math.nan
        return ks_limit(reference.n, window, level)
    return binned_limit(reference, metric, window, level, calibration)
