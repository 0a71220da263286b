"""Exact KS and Wasserstein from a sorted reference: equal to scipy on every kind of sample."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from glassbox.drift import _ecdf
from glassbox.drift._ecdf import ks_wasserstein

from . import _reference as ref


def _samples(kind: str, n: int, m: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    if kind == "normal":
        return rng.normal(size=n), rng.normal(0.3, 1.2, size=m)
    if kind == "ties":  # few distinct values shared by both samples
        return rng.integers(0, 6, n).astype(float), rng.integers(1, 8, m).astype(float)
    if kind == "heavy_tail":
        return rng.standard_cauchy(n), rng.standard_cauchy(m) * 1.5
    if kind == "mixed":  # point masses plus a continuous part
        a = np.where(rng.random(n) < 0.3, 0.0, rng.exponential(size=n))
        b = np.where(rng.random(m) < 0.5, 0.0, rng.exponential(2.0, size=m))
        return a, b
    if kind == "identical":
        a = rng.normal(size=n)
        return a, a[:m].copy()
    raise ValueError(kind)


@pytest.mark.parametrize("kind", ["normal", "ties", "heavy_tail", "mixed", "identical"])
@pytest.mark.parametrize(("n", "m"), [(1, 1), (7, 3), (500, 2000), (60_000, 45_000)])
def test_ks_and_wasserstein_equal_scipy(kind: str, n: int, m: int) -> None:
    a, b = _samples(kind, n, max(1, min(m, n) if kind == "identical" else m), seed=n * 31 + m)
    ks, wasserstein = ks_wasserstein(np.sort(a), np.sort(b))
    assert abs(ks - stats.ks_2samp(a, b).statistic) <= 1e-12
    assert wasserstein == pytest.approx(stats.wasserstein_distance(a, b), rel=1e-9, abs=1e-12)


def test_blocks_do_not_change_the_result(monkeypatch: pytest.MonkeyPatch) -> None:
    a, b = _samples("ties", 3000, 2500, seed=3)
    whole = ks_wasserstein(np.sort(a), np.sort(b))
    monkeypatch.setattr(_ecdf, "BLOCK", 17)
    blocked = ks_wasserstein(np.sort(a), np.sort(b))
    assert blocked[0] == whole[0]
    assert blocked[1] == pytest.approx(whole[1], rel=1e-12)


finite = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)


@pytest.mark.filterwarnings("ignore:ks_2samp. Exact calculation unsuccessful:RuntimeWarning")
@settings(max_examples=150, deadline=None)
@given(
    st.lists(finite | st.sampled_from([0.0, 1.0, 2.5]), min_size=1, max_size=60),
    st.lists(finite | st.sampled_from([0.0, 1.0, 2.5]), min_size=1, max_size=60),
)
def test_ks_equals_scipy_and_brute_force_for_any_samples(a: list[float], b: list[float]) -> None:
    ks, wasserstein = ks_wasserstein(np.sort(a), np.sort(b))
    assert abs(ks - stats.ks_2samp(a, b).statistic) <= 1e-12
    assert abs(ks - ref.ks(a, b)) <= 1e-12
    assert wasserstein == pytest.approx(stats.wasserstein_distance(a, b), rel=1e-9, abs=1e-6)


def test_weighted_current_equals_the_expanded_sample() -> None:
    rng = np.random.default_rng(5)
    reference = np.sort(rng.normal(size=400))
    items = np.sort(rng.normal(0.2, size=50))
    weights = rng.integers(1, 9, size=50).astype(float)
    expanded = np.repeat(items, weights.astype(int))
    assert ks_wasserstein(reference, items, weights)[0] == pytest.approx(
        stats.ks_2samp(reference, expanded).statistic, abs=1e-12
    )
    assert ks_wasserstein(reference, items, weights)[1] == pytest.approx(
        stats.wasserstein_distance(reference, expanded), rel=1e-9
    )


def test_empty_sample_is_rejected() -> None:
    with pytest.raises(ValueError, match="non-empty"):
        ks_wasserstein(np.array([1.0]), np.array([]))
