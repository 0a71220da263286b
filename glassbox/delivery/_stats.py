"""The tests behind the canary criteria. Every function returns a ``Comparison`` oriented the
same way: ``difference`` is how much *worse* the challenger is (positive = worse), ``p_value``
is one-sided for "the challenger is worse", and ``[low, high]`` is the two-sided
``1 - 2*alpha`` interval of the difference, so ``low > 0`` goes with ``p_value < alpha`` (exactly
for DeLong and McNemar; the two-proportion test uses the pooled variance of H0 and its interval
the unpooled one, as is conventional, so the two may disagree at the boundary).

- error rate: two-proportion z-test (pooled variance under H0), Wald interval;
- latency percentiles: bootstrap of the percentile difference. Raw samples are resampled
  exactly and cheaply through order statistics (the r-th order statistic of a bootstrap sample
  is ``x[ceil(n U)]`` with ``U ~ Beta(r, n - r + 1)``), histograms (Prometheus) likewise for a
  multinomial resampling of the bucket counts, with Prometheus' ``histogram_quantile``
  interpolation;
- ROC AUC: DeLong's test, paired (both models scored the same labelled rows: the shadow log) or
  unpaired (separate traffic), with the fast midrank algorithm of Sun & Xu (2014);
- accuracy: paired McNemar-style z-test on the discordant rows, or a two-proportion test;
- agreement: Wilson score interval of the share of identical labels.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.stats import norm

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Comparison:
    champion: float
    challenger: float
    difference: float
    p_value: float
    low: float
    high: float
    test: str


def _z_interval(difference: float, se: float, alpha: float) -> tuple[float, float]:
    if not se > 0:
        return difference, difference
    z = float(norm.isf(alpha))
    return difference - z * se, difference + z * se


def _upper_p(z: float) -> float:
    return float(norm.sf(z))


def two_proportions(
    champion: tuple[int, int], challenger: tuple[int, int], alpha: float
) -> Comparison:
    """Share of events (errors) of the challenger minus the champion's; H1: challenger higher.

    Each side is ``(events, trials)``."""
    (events_champion, n_champion), (events_challenger, n_challenger) = champion, challenger
    p1, p2 = events_champion / n_champion, events_challenger / n_challenger
    pooled = (events_champion + events_challenger) / (n_champion + n_challenger)
    se0 = math.sqrt(pooled * (1 - pooled) * (1 / n_champion + 1 / n_challenger))
    p_value = _upper_p((p2 - p1) / se0) if se0 > 0 else (0.0 if p2 > p1 else 1.0)
    se = math.sqrt(p1 * (1 - p1) / n_champion + p2 * (1 - p2) / n_challenger)
    low, high = _z_interval(p2 - p1, se, alpha)
    return Comparison(p1, p2, p2 - p1, p_value, low, high, "two-proportion z-test")


# -- percentiles -------------------------------------------------------------------------------


def _bootstrap_quantiles(
    sorted_values: FloatArray, q: float, resamples: int, rng: np.random.Generator
) -> FloatArray:
    """Bootstrap distribution of numpy's (linear) ``quantile(x, q)``, without resampling arrays.

    ``quantile`` interpolates between the order statistics r and r+1 (1-based) with
    h = (n-1) q, r = floor(h) + 1. For a bootstrap sample (n indices drawn uniformly, i.e.
    ``x[ceil(n U_i)]``), those order statistics are ``x[ceil(n U_(r))]`` and
    ``x[ceil(n U_(r+1))]`` with ``U_(r) ~ Beta(r, n-r+1)`` and, given it, ``U_(r+1)`` the
    minimum of the ``n-r`` uniforms above it.
    """
    n = sorted_values.size
    h = (n - 1) * q
    r = math.floor(h) + 1
    frac = h - (r - 1)
    u_r = rng.beta(r, n - r + 1, size=resamples)
    lower = sorted_values[np.clip(np.ceil(n * u_r).astype(np.int64) - 1, 0, n - 1)]
    if r >= n or frac == 0:
        return np.asarray(lower, dtype=np.float64)
    u_next = u_r + (1 - u_r) * (1 - rng.random(resamples) ** (1 / (n - r)))
    upper = sorted_values[np.clip(np.ceil(n * u_next).astype(np.int64) - 1, 0, n - 1)]
    return np.asarray(lower + frac * (upper - lower), dtype=np.float64)


def _bootstrap_comparison(
    estimates: tuple[float, float],
    boot_a: FloatArray,
    boot_b: FloatArray,
    *,
    alpha: float,
    test: str,
) -> Comparison:
    estimate_a, estimate_b = estimates
    deltas = boot_b - boot_a
    difference = estimate_b - estimate_a
    p_value = float((1 + np.count_nonzero(deltas <= 0)) / (deltas.size + 1))
    low, high = np.quantile(deltas, [alpha, 1 - alpha])
    return Comparison(estimate_a, estimate_b, difference, p_value, float(low), float(high), test)


def quantile_difference(
    champion: npt.ArrayLike,
    challenger: npt.ArrayLike,
    q: float,
    *,
    alpha: float,
    resamples: int,
    rng: np.random.Generator,
) -> Comparison:
    """Percentile ``q`` of the challenger minus the champion's (independent samples)."""
    a = np.sort(np.asarray(champion, dtype=np.float64))
    b = np.sort(np.asarray(challenger, dtype=np.float64))
    return _bootstrap_comparison(
        (float(np.quantile(a, q)), float(np.quantile(b, q))),
        _bootstrap_quantiles(a, q, resamples, rng),
        _bootstrap_quantiles(b, q, resamples, rng),
        alpha=alpha,
        test=f"bootstrap of the p{q * 100:g} difference ({resamples} resamples)",
    )


def histogram_quantile(bounds: FloatArray, counts: npt.NDArray[np.int64], q: float) -> FloatArray:
    """Prometheus' ``histogram_quantile`` for one or many histograms (rows of ``counts``).

    ``bounds`` are the finite upper bounds (``le``) in increasing order and ``counts`` the
    per-bucket (not cumulative) counts, the last column being the ``+Inf`` bucket. As in
    Prometheus: linear interpolation inside the bucket, the lowest bucket starts at 0 (for
    positive bounds), and a rank in the ``+Inf`` bucket returns the highest finite bound.
    """
    counts2 = np.atleast_2d(counts).astype(np.float64)
    cumulative = np.cumsum(counts2, axis=1)
    total = cumulative[:, -1]
    rank = q * total
    index = np.argmax(cumulative >= rank[:, None], axis=1)
    finite = index < bounds.size
    upper = np.where(finite, bounds[np.minimum(index, bounds.size - 1)], bounds[-1])
    lower = np.where(index > 0, bounds[np.maximum(index - 1, 0)], min(0.0, float(bounds[0])))
    below = np.where(index > 0, cumulative[np.arange(len(index)), np.maximum(index - 1, 0)], 0.0)
    inside = counts2[np.arange(len(index)), index]
    share = np.divide(rank - below, inside, out=np.zeros_like(rank), where=inside > 0)
    values = np.where(finite, lower + (upper - lower) * share, bounds[-1])
    return np.asarray(np.where(total > 0, values, np.nan), dtype=np.float64)


def histogram_quantile_difference(
    bounds: npt.ArrayLike,
    champion_counts: npt.ArrayLike,
    challenger_counts: npt.ArrayLike,
    q: float,
    *,
    alpha: float,
    resamples: int,
    rng: np.random.Generator,
) -> Comparison:
    """Percentile difference from two histograms (multinomial bootstrap of the counts)."""
    edges = np.asarray(bounds, dtype=np.float64)
    a = np.asarray(champion_counts, dtype=np.int64)
    b = np.asarray(challenger_counts, dtype=np.int64)

    def boot(counts: npt.NDArray[np.int64]) -> FloatArray:
        return _bootstrap_histogram_quantiles(edges, counts, q, resamples, rng)

    return _bootstrap_comparison(
        (float(histogram_quantile(edges, a, q)[0]), float(histogram_quantile(edges, b, q)[0])),
        boot(a),
        boot(b),
        alpha=alpha,
        test=f"bootstrap of the histogram p{q * 100:g} difference ({resamples} resamples)",
    )


def _bootstrap_histogram_quantiles(
    bounds: FloatArray, counts: npt.NDArray[np.int64], q: float, resamples: int,
    rng: np.random.Generator,
) -> FloatArray:  # fmt: skip
    """Bootstrap distribution of ``histogram_quantile`` of a multinomially resampled histogram,
    drawn exactly without drawing the histograms.

    ``histogram_quantile`` picks the bucket holding the r-th smallest observation (r =
    ceil(q n)) and interpolates with the counts below and inside that bucket. A resampled
    histogram is n uniforms U mapped through the bucket CDF F; its r-th order statistic is
    ``U_(r) ~ Beta(r, n - r + 1)``, which fixes the bucket j. Given ``U_(r) = u``, the other r-1
    draws are uniform on (0, u) and the n-r others uniform on (u, 1), so the count below bucket
    j is Binomial(r-1, F[j-1]/u) and the count inside it is the rest of those r-1, plus the r-th
    itself, plus Binomial(n-r, (F[j]-u)/(1-u)).
    """
    total = int(counts.sum())
    rank = q * total
    r = max(1, math.ceil(rank))
    cdf = np.cumsum(counts) / total
    u = rng.beta(r, total - r + 1, size=resamples)
    bucket = np.minimum(np.searchsorted(cdf, u, side="left"), counts.size - 1)
    before = np.where(bucket > 0, cdf[np.maximum(bucket - 1, 0)], 0.0)
    below = rng.binomial(r - 1, np.clip(before / u, 0.0, 1.0))
    above = rng.binomial(total - r, np.clip((cdf[bucket] - u) / (1 - u), 0.0, 1.0))
    inside = (r - 1 - below) + 1 + above
    finite = bucket < bounds.size
    upper = bounds[np.minimum(bucket, bounds.size - 1)]
    lower = np.where(bucket > 0, bounds[np.maximum(bucket - 1, 0)], min(0.0, float(bounds[0])))
    values = lower + (upper - lower) * (rank - below) / inside
    return np.asarray(np.where(finite, values, bounds[-1]), dtype=np.float64)


# -- ROC AUC (DeLong) --------------------------------------------------------------------------


def _midranks(values: FloatArray) -> FloatArray:
    """1-based ranks with ties given their average rank."""
    from scipy.stats import rankdata

    return np.asarray(rankdata(values, method="average"), dtype=np.float64)


def _structural(
    positives: FloatArray, negatives: FloatArray
) -> tuple[float, FloatArray, FloatArray]:
    """AUC and DeLong's structural components (V10 over positives, V01 over negatives)."""
    m, n = positives.size, negatives.size
    tx, ty = _midranks(positives), _midranks(negatives)
    tz = _midranks(np.concatenate([positives, negatives]))
    auc = float((tz[:m].sum() - m * (m + 1) / 2) / (m * n))
    v10 = (tz[:m] - tx) / n
    v01 = 1.0 - (tz[m:] - ty) / m
    return auc, v10, v01


def _split(labels: npt.ArrayLike, scores: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    y = np.asarray(labels).astype(bool)
    s = np.asarray(scores, dtype=np.float64)
    return s[y], s[~y]


def delong_paired(
    labels: npt.ArrayLike, champion: npt.ArrayLike, challenger: npt.ArrayLike, alpha: float
) -> Comparison:
    """AUC of the champion minus the challenger's on the same rows (H1: challenger lower)."""
    pos_a, neg_a = _split(labels, champion)
    pos_b, neg_b = _split(labels, challenger)
    auc_a, v10_a, v01_a = _structural(pos_a, neg_a)
    auc_b, v10_b, v01_b = _structural(pos_b, neg_b)
    s10 = np.cov(np.vstack([v10_a, v10_b]))
    s01 = np.cov(np.vstack([v01_a, v01_b]))
    cov = s10 / pos_a.size + s01 / neg_a.size
    variance = float(cov[0, 0] + cov[1, 1] - 2 * cov[0, 1])
    return _auc_comparison(auc_a, auc_b, variance, alpha, "DeLong test (paired)")


def delong_unpaired(
    champion: tuple[npt.ArrayLike, npt.ArrayLike],
    challenger: tuple[npt.ArrayLike, npt.ArrayLike],
    alpha: float,
) -> Comparison:
    """AUC difference on separate rows (canary traffic): DeLong variances add up.

    Each side is ``(labels, scores)``."""
    variances = []
    aucs = []
    for labels, scores in (champion, challenger):
        pos, neg = _split(labels, scores)
        auc, v10, v01 = _structural(pos, neg)
        aucs.append(auc)
        variances.append(float(np.var(v10, ddof=1) / pos.size + np.var(v01, ddof=1) / neg.size))
    return _auc_comparison(aucs[0], aucs[1], sum(variances), alpha, "DeLong test (unpaired)")


def _auc_comparison(
    auc_a: float, auc_b: float, variance: float, alpha: float, test: str
) -> Comparison:
    difference = auc_a - auc_b
    se = math.sqrt(max(variance, 0.0))
    p_value = _upper_p(difference / se) if se > 0 else (0.0 if difference > 0 else 1.0)
    low, high = _z_interval(difference, se, alpha)
    return Comparison(auc_a, auc_b, difference, p_value, low, high, test)


# -- accuracy and agreement --------------------------------------------------------------------


def accuracy_paired(
    correct_champion: npt.ArrayLike, correct_challenger: npt.ArrayLike, alpha: float
) -> Comparison:
    """Accuracy of the champion minus the challenger's on the same rows (McNemar-style z)."""
    a = np.asarray(correct_champion, dtype=bool)
    b = np.asarray(correct_challenger, dtype=bool)
    total = a.size
    only_a = int(np.count_nonzero(a & ~b))
    only_b = int(np.count_nonzero(~a & b))
    difference = (only_a - only_b) / total
    discordant = only_a + only_b
    p_value = _upper_p((only_a - only_b) / math.sqrt(discordant)) if discordant else 1.0
    variance = (discordant - (only_a - only_b) ** 2 / total) / total**2
    low, high = _z_interval(difference, math.sqrt(max(variance, 0.0)), alpha)
    return Comparison(
        float(a.mean()), float(b.mean()), difference, p_value, low, high, "McNemar z-test (paired)"
    )


def wilson_interval(successes: int, total: int, alpha: float) -> tuple[float, float]:
    """Two-sided ``1 - 2*alpha`` Wilson score interval of a proportion."""
    if total == 0:
        return 0.0, 1.0
    z = float(norm.isf(alpha))
    share = successes / total
    centre = (share + z * z / (2 * total)) / (1 + z * z / total)
    half = z * math.sqrt(share * (1 - share) / total + z * z / (4 * total * total))
    half /= 1 + z * z / total
    return max(0.0, centre - half), min(1.0, centre + half)
