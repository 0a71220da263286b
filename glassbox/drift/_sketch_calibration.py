"""Calibrating a sketched CDF on exact counts, and the Wasserstein bound that follows.

See :mod:`glassbox.drift._shard`'s docstring for why (merged KLL sketches carry a rank bias that
a long range turns into a large Wasserstein error) and for the bound's derivation. The
calibration edges depend on the reference profile only, so every shard of a window counts over
the same ones and the counts stay additive.
"""

from __future__ import annotations

import functools

import numpy as np

from glassbox.drift._profile import NumericReference
from glassbox.drift._stats import FloatArray, IntArray

CALIBRATION_BODY = 128  # reference quantiles j/128 among the calibration edges


@functools.lru_cache(maxsize=64)
def calibration_edges(reference: NumericReference) -> FloatArray:
    """Edges every shard counts its values over, from the reference alone (module docstring)."""
    values = reference.sorted_values
    n = values.size
    if n == 0:
        return reference.edges
    levels = [j / CALIBRATION_BODY for j in range(1, CALIBRATION_BODY)]
    j = 1
    while 2.0**-j * n >= 1:
        levels += [2.0**-j, 1 - 2.0**-j]
        j += 1
    ranks = np.clip(np.ceil(np.asarray(levels) * n).astype(np.int64) - 1, 0, n - 1)
    inner = np.concatenate((reference.edges[1:-1], values[ranks], values[[0, -1]]))
    edges = np.concatenate(([-np.inf], np.unique(inner[np.isfinite(inner)]), [np.inf]))
    edges.setflags(write=False)
    return edges


def calibrated(
    values: FloatArray,
    weights: FloatArray,
    counts: IntArray,
    edges: FloatArray,
    *,
    low: float,
    high: float,
) -> tuple[FloatArray, FloatArray]:
    """Sketch items reweighted so each reference bin holds its exact count (module docstring).

    A bin with data but no retained item gets its whole count at the middle of its part of
    [low, high] (the window's exact extremes)."""
    bins = np.searchsorted(edges[1:-1], values, side="right")  # bin_counts' [e_j, e_j+1) rule
    estimated = np.bincount(bins, weights=weights, minlength=counts.size)
    scale = np.divide(counts, estimated, out=np.zeros(counts.size), where=estimated > 0)
    weights = weights * scale[bins]
    empty = np.flatnonzero((counts > 0) & (estimated <= 0))
    if empty.size:
        start = np.maximum(edges[empty], low)
        stop = np.minimum(edges[empty + 1], high)
        values = np.concatenate((values, (start + stop) / 2))
        weights = np.concatenate((weights, counts[empty].astype(np.float64)))
        order = np.argsort(values, kind="stable")
        values, weights = values[order], weights[order]
    return np.ascontiguousarray(values), np.ascontiguousarray(weights)


def wasserstein_bound(
    edges: FloatArray, counts: IntArray, rank_error: float, *, low: float, high: float
) -> float:
    """``sum_j min(4 * rank_error, p_j) * width_j`` over the calibration segments, each clipped
    to the window's exact ``[low, high]`` (``p_j``: the segment's exact share)."""
    total = counts.sum()
    if total == 0:
        return 0.0
    width = np.clip(np.minimum(edges[1:], high) - np.maximum(edges[:-1], low), 0, None)
    return float(np.sum(np.minimum(4 * rank_error, counts / total) * width))
