"""Binned statistics, chi-squared, KS p-value and BH against references and scipy."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from scipy.spatial.distance import jensenshannon

from glassbox.drift._stats import (
    benjamini_hochberg,
    chi2_homogeneity,
    js_distance,
    kl_divergence,
    ks_pvalue,
    psi,
)

from . import _reference as ref

counts_pair = st.integers(2, 12).flatmap(
    lambda bins: st.tuples(
        st.lists(st.integers(0, 500), min_size=bins, max_size=bins).filter(lambda c: sum(c) > 0),
        st.lists(st.integers(0, 500), min_size=bins, max_size=bins).filter(lambda c: sum(c) > 0),
    )
)


@settings(max_examples=200, deadline=None)
@given(counts_pair)
def test_binned_statistics_equal_the_loop_reference(pair: tuple[list[int], list[int]]) -> None:
    reference, current = pair
    assert psi(reference, current) == pytest.approx(
        ref.psi(reference, current), rel=1e-12, abs=1e-14
    )
    assert kl_divergence(reference, current) == pytest.approx(
        ref.kl(reference, current), rel=1e-12, abs=1e-14
    )
    assert js_distance(reference, current) == pytest.approx(
        ref.js_distance(reference, current), rel=1e-9, abs=1e-12
    )
    statistic, _, dof = chi2_homogeneity(reference, current)
    expected_statistic, expected_dof = ref.chi2(reference, current)
    assert dof == expected_dof
    assert statistic == pytest.approx(expected_statistic, rel=1e-10, abs=1e-12)


def test_js_distance_is_scipys_base_2_distance_and_bounded() -> None:
    p, q = [10, 0, 5, 85], [0, 40, 5, 55]
    assert js_distance(p, q) == pytest.approx(jensenshannon(p, q, base=2), rel=1e-12)
    assert js_distance([1, 0], [0, 1]) == pytest.approx(1.0)
    assert js_distance([3, 7], [30, 70]) == pytest.approx(0.0, abs=1e-12)


def test_psi_and_kl_stay_finite_with_empty_bins() -> None:
    value = psi([100, 0, 0], [0, 0, 100])
    assert np.isfinite(value)
    assert value == pytest.approx(ref.psi([100, 0, 0], [0, 0, 100]))
    assert np.isfinite(kl_divergence([100, 0], [0, 100]))
    assert psi([5, 5], [50, 50]) == pytest.approx(0.0, abs=1e-15)


def test_chi2_matches_scipy_contingency_without_yates_correction() -> None:
    reference, current = [120, 30, 50, 0], [90, 45, 60, 5]
    statistic, pvalue, dof = chi2_homogeneity(reference, current)
    expected = stats.chi2_contingency(np.array([reference, current])[:, :4], correction=False)
    assert statistic == pytest.approx(expected.statistic, rel=1e-12)
    assert pvalue == pytest.approx(expected.pvalue, rel=1e-9)
    assert dof == expected.dof == 3


def test_chi2_of_a_single_category_is_no_evidence() -> None:
    assert chi2_homogeneity([10], [20]) == (0.0, 1.0, 0)


@pytest.mark.parametrize(("n", "m", "d"), [(3_000, 20_000, 0.03), (200, 50, 0.2), (5, 9, 0.5)])
def test_ks_pvalue_equals_scipy_asymptotic_up_to_the_exact_limit(n: int, m: int, d: float) -> None:
    rng = np.random.default_rng(n + m)
    a, b = rng.normal(size=n), rng.normal(d, size=m)
    expected = stats.ks_2samp(a, b, method="asymp")
    assert ks_pvalue(expected.statistic, n, m) == pytest.approx(expected.pvalue, rel=1e-10)


@pytest.mark.parametrize(("n", "m", "d"), [(200_000, 200_000, 0.004), (500_000, 1_000_000, 0.01)])
def test_ks_pvalue_of_large_windows_is_the_kolmogorov_limit(n: int, m: int, d: float) -> None:
    rng = np.random.default_rng(n + m)
    a, b = rng.normal(size=n), rng.normal(d, size=m)
    statistic = stats.ks_2samp(a, b).statistic
    effective = n * m / (n + m)
    pvalue = ks_pvalue(statistic, n, m)
    assert pvalue == pytest.approx(stats.kstwobign.sf(np.sqrt(effective) * statistic), rel=1e-12)
    # within 2% of scipy's finite-n asymptotic (which is O(n) to evaluate)
    assert pvalue == pytest.approx(stats.kstwo.sf(statistic, round(effective)), rel=0.02)
    assert 0 < pvalue < 1


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(0, 1), min_size=1, max_size=30))
def test_benjamini_hochberg_equals_scipy(pvalues: list[float]) -> None:
    expected = stats.false_discovery_control(pvalues, method="bh")
    np.testing.assert_allclose(benjamini_hochberg(pvalues), expected, rtol=1e-12, atol=1e-15)


def test_benjamini_hochberg_skips_nan_entries() -> None:
    adjusted = benjamini_hochberg([0.01, np.nan, 0.04])
    assert np.isnan(adjusted[1])
    np.testing.assert_allclose(adjusted[[0, 2]], [0.02, 0.04])
