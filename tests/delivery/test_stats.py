"""The canary tests against independent computations (scipy, scikit-learn, brute force)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import chi2_contingency, ks_2samp
from sklearn.metrics import roc_auc_score

from glassbox.delivery import _stats as stats


def test_two_proportions_z_squared_is_the_uncorrected_chi_squared() -> None:
    found = stats.two_proportions((60, 6000), (95, 6000), 0.01)
    table = [[60, 5940], [95, 5905]]
    _, p_two, _, _ = chi2_contingency(table, correction=False)
    assert found.difference == pytest.approx(95 / 6000 - 60 / 6000)
    assert found.p_value == pytest.approx(p_two / 2)
    assert found.low > 0  # clearly worse at 1%


@given(st.integers(0, 400), st.integers(1, 400), st.integers(0, 400), st.integers(1, 400))
@settings(max_examples=200, deadline=None)
def test_two_proportions_is_oriented_and_bounded(
    e1: int, extra1: int, e2: int, extra2: int
) -> None:
    a, b = (e1, e1 + extra1), (e2, e2 + extra2)
    forward, backward = stats.two_proportions(a, b, 0.05), stats.two_proportions(b, a, 0.05)
    assert 0.0 <= forward.p_value <= 1.0
    assert forward.difference == pytest.approx(-backward.difference)
    assert forward.low <= forward.difference <= forward.high
    if forward.difference != 0:
        assert forward.p_value == pytest.approx(1 - backward.p_value, abs=1e-9)


def test_order_statistic_bootstrap_matches_a_brute_force_bootstrap() -> None:
    rng = np.random.default_rng(3)
    sample = np.sort(rng.lognormal(np.log(0.01), 0.6, 700))
    for q in (0.5, 0.95, 0.99):
        fast = stats._bootstrap_quantiles(sample, q, 4000, np.random.default_rng(1))
        draws = np.random.default_rng(2).integers(0, sample.size, (4000, sample.size))
        brute = np.quantile(sample[draws], q, axis=1)
        assert ks_2samp(fast, brute).pvalue > 0.001, q
        assert fast.mean() == pytest.approx(brute.mean(), rel=0.02)
        assert fast.std() == pytest.approx(brute.std(), rel=0.1)


def test_quantile_difference_detects_a_slower_tail_and_not_an_equal_one() -> None:
    rng = np.random.default_rng(5)
    fast, slow = rng.lognormal(-4.6, 0.5, 3000), rng.lognormal(-4.6 + 0.4, 0.5, 3000)
    same = rng.lognormal(-4.6, 0.5, 3000)
    worse = stats.quantile_difference(fast, slow, 0.99, alpha=0.01, resamples=5000, rng=rng)
    assert worse.p_value < 0.001 and worse.low > 0
    assert worse.difference == pytest.approx(np.quantile(slow, 0.99) - np.quantile(fast, 0.99))
    equal = stats.quantile_difference(fast, same, 0.99, alpha=0.01, resamples=5000, rng=rng)
    assert equal.low < 0 < equal.high


def test_histogram_quantile_follows_prometheus_interpolation() -> None:
    bounds = np.array([0.1, 0.2, 0.4])
    counts = np.array([10, 10, 20, 0])  # cumulative 10, 20, 40, 40
    # rank 0.5*40 = 20 -> end of the second bucket: 0.2
    assert stats.histogram_quantile(bounds, counts, 0.5)[0] == pytest.approx(0.2)
    # rank 0.25*40 = 10 -> end of the first bucket (which starts at 0): 0.1
    assert stats.histogram_quantile(bounds, counts, 0.25)[0] == pytest.approx(0.1)
    # rank 0.75*40 = 30 -> half way through (0.2, 0.4]
    assert stats.histogram_quantile(bounds, counts, 0.75)[0] == pytest.approx(0.3)
    # a rank in the +Inf bucket answers the highest finite bound
    tail = np.array([0, 0, 1, 9])
    assert stats.histogram_quantile(bounds, tail, 0.99)[0] == pytest.approx(0.4)
    assert math.isnan(stats.histogram_quantile(bounds, np.zeros(4, dtype=np.int64), 0.5)[0])


def _delong_brute(y: np.ndarray, a: np.ndarray, b: np.ndarray) -> tuple[float, float, float]:
    """DeLong's variance of AUC(a) - AUC(b) from the pairwise kernel (O(m n))."""
    pos, neg = y == 1, y == 0

    def components(s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        kernel = (s[pos][:, None] > s[neg][None, :]) + 0.5 * (s[pos][:, None] == s[neg][None, :])
        return kernel.mean(axis=1), kernel.mean(axis=0)

    v10a, v01a = components(a)
    v10b, v01b = components(b)
    m, n = pos.sum(), neg.sum()
    var = (
        np.cov(v10a, v10b)[0, 0] / m + np.cov(v01a, v01b)[0, 0] / n
        + np.cov(v10a, v10b)[1, 1] / m + np.cov(v01a, v01b)[1, 1] / n
        - 2 * (np.cov(v10a, v10b)[0, 1] / m + np.cov(v01a, v01b)[0, 1] / n)
    )  # fmt: skip
    return float(v10a.mean()), float(v10b.mean()), float(var)


def test_delong_paired_matches_sklearn_auc_and_the_pairwise_variance() -> None:
    rng = np.random.default_rng(11)
    y = (rng.random(400) < 0.4).astype(int)
    a = np.round(y + rng.normal(0, 1.0, 400), 1)  # rounded: ties exercise the midranks
    b = np.round(0.8 * y + rng.normal(0, 1.0, 400), 1)
    found = stats.delong_paired(y, a, b, 0.025)
    auc_a, auc_b, variance = _delong_brute(y, a, b)
    assert found.champion == pytest.approx(roc_auc_score(y, a))
    assert found.challenger == pytest.approx(roc_auc_score(y, b))
    assert (found.champion, found.challenger) == pytest.approx((auc_a, auc_b))
    se = (found.high - found.difference) / 1.959963984540054
    assert se**2 == pytest.approx(variance, rel=1e-9)


def test_delong_unpaired_adds_the_variances_and_is_oriented() -> None:
    rng = np.random.default_rng(12)
    y1, y2 = (rng.random(500) < 0.5).astype(int), (rng.random(500) < 0.5).astype(int)
    good, bad = y1 * 1.5 + rng.normal(0, 1, 500), y2 * 0.5 + rng.normal(0, 1, 500)
    found = stats.delong_unpaired((y1, good), (y2, bad), 0.01)
    assert found.difference == pytest.approx(roc_auc_score(y1, good) - roc_auc_score(y2, bad))
    assert found.p_value < 1e-6 and found.low > 0


def test_paired_accuracy_counts_discordant_rows() -> None:
    champion = np.array([True] * 90 + [False] * 10)
    challenger = np.array([True] * 80 + [False] * 10 + [True] * 5 + [False] * 5)
    found = stats.accuracy_paired(champion, challenger, 0.05)
    # champion-only correct: 10, challenger-only correct: 5
    assert found.difference == pytest.approx(0.05)
    assert found.p_value == pytest.approx(1 - 0.9012, abs=1e-3)  # z = 5 / sqrt(15)
    assert (found.champion, found.challenger) == (0.9, 0.85)


def test_wilson_interval_known_value() -> None:
    low, high = stats.wilson_interval(8, 10, 0.025)
    assert (low, high) == pytest.approx((0.4902, 0.9433), abs=1e-4)
    assert stats.wilson_interval(0, 0, 0.025) == (0.0, 1.0)
