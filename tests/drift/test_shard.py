"""Shard profiles: merge == profile of the concatenation, sketch accuracy, persistence, bounds."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from glassbox.drift import (
    DriftCalculator,
    DriftError,
    ShardProfile,
    merge,
    profile_shard,
)
from glassbox.drift._shard import CategoricalShard, NumericShard

from . import _frames

BINNED = ("psi", "js_distance", "kl_divergence", "chi2_statistic", "chi2_pvalue")


@pytest.fixture(scope="module")
def calculator() -> DriftCalculator:
    return DriftCalculator(**_frames.calculator_columns(), threads=1).fit(
        _frames.window(20_000, seed=70)
    )


def _assert_counts_equal(merged: ShardProfile, whole: ShardProfile) -> None:
    assert merged.n_rows == whole.n_rows
    for a, b in zip(merged.columns, whole.columns, strict=True):
        np.testing.assert_array_equal(a.counts, b.counts)
        assert a.missing == b.missing
        if isinstance(a, NumericShard):
            assert isinstance(b, NumericShard)
            assert a.n == b.n
            assert a.mean == pytest.approx(b.mean, rel=1e-9, nan_ok=True)
            assert a.m2 == pytest.approx(b.m2, rel=1e-7, abs=1e-9)
            if a.exact is not None and b.exact is not None:
                np.testing.assert_array_equal(a.exact, b.exact)
            assert a.calibration is not None
            assert b.calibration is not None
            np.testing.assert_array_equal(a.calibration, b.calibration)
        else:
            assert isinstance(a, CategoricalShard)
            assert isinstance(b, CategoricalShard)
            assert a.unseen == b.unseen


def _with_gaps(frame: pd.DataFrame, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    out = frame.copy()
    out.loc[rng.random(len(out)) < 0.1, "normal"] = np.nan
    out.loc[rng.random(len(out)) < 0.05, "segment"] = None
    out.loc[rng.random(len(out)) < 0.05, "segment"] = "unseen"
    return out


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(0, 400), min_size=1, max_size=5), st.integers(0, 10_000))
def test_merge_of_shard_profiles_equals_profile_of_the_concatenation(
    sizes: list[int], seed: int
) -> None:
    calculator = DriftCalculator(**_frames.calculator_columns(), threads=1).fit(
        _frames.window(2_000, seed=71)
    )
    shards = [
        _with_gaps(_frames.window(size, seed=seed + i, shift_sd={"normal": 0.2}), seed + i)
        for i, size in enumerate(sizes)
    ]
    whole = pd.concat(shards, ignore_index=True)
    merged = merge(profile_shard(s, calculator.profile) for s in shards)
    _assert_counts_equal(merged, profile_shard(whole, calculator.profile))
    if len(whole) == 0:
        return
    from_profile = calculator.calculate_from_profile(merged)
    direct = calculator.calculate(whole)
    for a, b in zip(from_profile, direct, strict=True):
        for metric in (*BINNED, "ks_statistic", "wasserstein"):
            assert a.statistic(metric) == pytest.approx(b.statistic(metric), rel=1e-12, nan_ok=True)
        assert (a.n_current, a.missing_current, a.unseen_current) == (
            b.n_current, b.missing_current, b.unseen_current,
        )  # fmt: skip
        assert not a.approximate
        assert a.severity == b.severity


def test_merge_is_order_independent_for_counts(calculator: DriftCalculator) -> None:
    shards = [profile_shard(_frames.window(3_000, seed=s), calculator.profile) for s in (1, 2, 3)]
    _assert_counts_equal(merge(shards), merge(shards[::-1]))


def test_sketched_shards_keep_binned_statistics_exact_and_ks_within_the_rank_error(
    calculator: DriftCalculator,
) -> None:
    shards = [_frames.window(40_000, seed=80 + i, shift_sd={"normal": 0.05 * i}) for i in range(5)]
    whole = pd.concat(shards, ignore_index=True)
    merged = merge(profile_shard(s, calculator.profile, exact_threshold=10_000) for s in shards)
    assert isinstance(merged["normal"], NumericShard)
    assert merged["normal"].sketch is not None
    bound = merged.ks_error_bound
    assert bound == pytest.approx(0.0133, abs=1e-4)  # k = 200
    approximate = calculator.calculate_from_profile(merged)
    exact = calculator.calculate(whole)
    references = {column.name: column for column in calculator.profile.columns}
    for a, b in zip(approximate, exact, strict=True):
        for metric in BINNED:
            assert a.statistic(metric) == pytest.approx(b.statistic(metric), rel=1e-12, nan_ok=True)
        assert a.current_mean == pytest.approx(b.current_mean, rel=1e-12, nan_ok=True)
        if a.dtype == "numeric":
            assert a.approximate
            assert abs(a.ks_statistic - b.ks_statistic) <= bound
            # The tolerance is the sketch's own guarantee (glassbox.drift._shard docstring),
            # computed from exact quantities only: the same for every run of the test.
            w_bound = merged.wasserstein_error_bound(references[a.name])
            assert abs(a.wasserstein_normalized - b.wasserstein_normalized) <= w_bound
            if a.name != "counts":  # integers: few distinct values, wide segments
                assert w_bound < 0.06, (a.name, w_bound)


@pytest.mark.parametrize("tail", ["lognormal", "pareto"])
def test_merged_sketches_stay_accurate_on_heavy_tails_within_the_documented_bound(
    tail: str,
) -> None:
    """Five sketched shards of a heavy-tailed column (log-normal; Pareto with shape 1.5, whose
    variance is infinite), merged: the calibrated Wasserstein distance stays within its bound,
    and the bound (exact quantities only) is under a tenth of a standard deviation."""
    rng = np.random.default_rng(5)

    def draw(rows: int) -> pd.DataFrame:
        values = rng.lognormal(0, 1.0, rows) if tail == "lognormal" else rng.pareto(1.5, rows)
        return pd.DataFrame({"x": values})

    calculator = DriftCalculator(features=["x"], threads=1).fit(draw(20_000))
    parts = [draw(40_000) for _ in range(5)]
    merged = merge(profile_shard(p, calculator.profile, exact_threshold=10_000) for p in parts)
    (approximate,) = calculator.calculate_from_profile(merged)
    (exact,) = calculator.calculate(pd.concat(parts, ignore_index=True))
    bound = merged.wasserstein_error_bound(calculator.profile.columns[0])  # type: ignore[arg-type]
    assert approximate.approximate
    error = abs(approximate.wasserstein_normalized - exact.wasserstein_normalized)
    print(f"{tail}: |W_sketch - W_exact| = {error:.4f}, bound {bound:.4f}")
    assert error <= bound
    assert bound < 0.1


def test_larger_k_tightens_the_sketch(calculator: DriftCalculator) -> None:
    current = _frames.window(60_000, seed=90, shift_sd={"normal": 0.1})
    exact = calculator.calculate(current)["normal"].ks_statistic
    fine = profile_shard(current, calculator.profile, kll_k=2_000, exact_threshold=0)
    assert fine.ks_error_bound < 0.002
    approximate = calculator.calculate_from_profile(fine)["normal"].ks_statistic
    assert abs(approximate - exact) <= fine.ks_error_bound


def test_exact_shards_switch_to_a_sketch_once_the_total_exceeds_the_threshold(
    calculator: DriftCalculator,
) -> None:
    parts = [
        profile_shard(_frames.window(800, seed=s), calculator.profile, exact_threshold=1_000)
        for s in (1, 2)
    ]
    assert all(p["normal"].exact is not None for p in parts)  # type: ignore[union-attr]
    merged = merge(parts)
    column = merged["normal"]
    assert isinstance(column, NumericShard)
    assert column.exact is None
    assert column.sketch is not None
    assert column.sketch.n == 1_600


def test_profile_size_is_bounded_independent_of_the_window(calculator: DriftCalculator) -> None:
    small = profile_shard(_frames.window(100_000, seed=91), calculator.profile)
    large = merge(
        [small]
        + [profile_shard(_frames.window(100_000, seed=s), calculator.profile) for s in (92, 93, 94)]
    )
    assert large.n_rows == 400_000
    assert len(large.to_bytes()) < 1.5 * len(small.to_bytes())
    assert len(large.to_bytes()) < 200_000


def test_shard_profile_round_trips(calculator: DriftCalculator, tmp_path: Path) -> None:
    shards = [
        profile_shard(_frames.window(n, seed=n), calculator.profile, exact_threshold=5_000)
        for n in (3_000, 30_000)
    ]
    merged = merge(shards)
    expected = calculator.calculate_from_profile(merged)
    from_bytes = ShardProfile.from_bytes(merged.to_bytes())
    merged.save(tmp_path / "shard")
    from_dir = ShardProfile.load(tmp_path / "shard")
    for restored in (from_bytes, from_dir):
        _assert_counts_equal(restored, merged)
        assert calculator.calculate_from_profile(restored) == expected
    exact_part = ShardProfile.from_bytes(shards[0].to_bytes())
    np.testing.assert_array_equal(exact_part["normal"].exact, shards[0]["normal"].exact)  # type: ignore[union-attr]


def test_shards_of_a_different_reference_are_refused(calculator: DriftCalculator) -> None:
    other = DriftCalculator(**_frames.calculator_columns()).fit(_frames.window(5_000, seed=99))
    ours = profile_shard(_frames.window(100, seed=1), calculator.profile)
    theirs = profile_shard(_frames.window(100, seed=1), other.profile)
    with pytest.raises(
        DriftError, match=r"shard 1: reference_fingerprint .* differs from shard 0's"
    ):
        merge([ours, theirs])
    with pytest.raises(DriftError, match="built against a different reference profile"):
        calculator.calculate_from_profile(theirs)
    coarse = profile_shard(_frames.window(100, seed=1), calculator.profile, kll_k=100)
    with pytest.raises(DriftError, match="shard 1: kll_k 100 differs from shard 0's 200"):
        merge([ours, coarse])


def test_bad_shard_arguments(calculator: DriftCalculator) -> None:
    with pytest.raises(DriftError, match="merge needs at least one shard profile"):
        merge([])
    with pytest.raises(DriftError, match=r"kll_k must be an integer in \[8, 65535\], got 4"):
        profile_shard(_frames.window(10, seed=1), calculator.profile, kll_k=4)
    with pytest.raises(DriftError, match="column 'segment' is missing from the shard data"):
        profile_shard(_frames.window(10, seed=1).drop(columns="segment"), calculator.profile)
    empty = profile_shard(_frames.window(10, seed=1).iloc[:0], calculator.profile)
    with pytest.raises(DriftError, match="shard profile covers 0 rows"):
        calculator.calculate_from_profile(empty)
