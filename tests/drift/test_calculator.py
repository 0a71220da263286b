"""DriftCalculator end to end: acceptance cases, exactness, invariances, statelessness."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from glassbox.drift import DriftCalculator, DriftResult, ReferenceProfile

from . import _frames
from . import _reference as ref

ROWS = 200_000


@pytest.fixture(scope="module")
def calculator() -> DriftCalculator:
    return DriftCalculator(**_frames.calculator_columns()).fit(_frames.window(ROWS, seed=1))


def test_same_distribution_drawn_twice_flags_nothing(calculator: DriftCalculator) -> None:
    result = calculator.calculate(_frames.window(ROWS, seed=2))
    assert result.flagged() == ()
    assert result.severity == "none"
    assert len(result) == 8
    assert max(f.psi for f in result) < 0.01


def test_half_sd_shift_and_reversed_category_shares_flag_exactly_those_two(
    calculator: DriftCalculator,
) -> None:
    current = _frames.window(
        ROWS, seed=3, shift_sd={"normal": 0.5}, segment_shares=_frames.SEGMENT_SHARES[::-1]
    )
    result = calculator.calculate(current)
    assert {f.name for f in result.flagged()} == {"normal", "segment"}
    assert result["normal"].severity == "critical"
    assert result["segment"].severity == "critical"
    assert result["normal"].wasserstein_normalized == pytest.approx(0.5, abs=0.02)
    assert result["normal"].current_mean - result["normal"].reference_mean == pytest.approx(
        1.0, abs=0.03
    )
    assert result["segment"].chi2_pvalue < 1e-12


def test_tiny_shift_on_a_large_window_is_significant_but_not_flagged(
    calculator: DriftCalculator,
) -> None:
    result = calculator.calculate(_frames.window(ROWS, seed=4, shift_sd={"normal": 0.02}))
    normal = result["normal"]
    assert normal.ks_pvalue < 1e-4
    assert normal.significant
    assert normal.psi < 0.01
    assert normal.severity == "none"
    assert result.flagged() == ()


def test_statistics_equal_scipy_and_the_loop_reference(calculator: DriftCalculator) -> None:
    reference = _frames.window(ROWS, seed=1)
    current = _frames.window(3_000, seed=5, shift_sd={"normal": 0.3})
    result = calculator.calculate(current)
    for name in ("normal", "lognormal", "counts", "score"):
        feature = result[name]
        expected = stats.ks_2samp(reference[name], current[name])
        assert abs(feature.ks_statistic - expected.statistic) <= 1e-12
        assert feature.ks_pvalue == pytest.approx(
            stats.ks_2samp(reference[name], current[name], method="asymp").pvalue, rel=1e-9
        )
        assert feature.wasserstein == pytest.approx(
            stats.wasserstein_distance(reference[name], current[name]), rel=1e-9
        )
        assert feature.wasserstein_normalized == pytest.approx(
            feature.wasserstein / reference[name].std(ddof=0), rel=1e-12
        )
        edges = calculator.profile[name].edges
        counts_ref = ref.histogram(reference[name].tolist(), edges.tolist())
        counts_cur = ref.histogram(current[name].tolist(), edges.tolist())
        assert feature.psi == pytest.approx(ref.psi(counts_ref, counts_cur), rel=1e-10)
        assert feature.js_distance == pytest.approx(
            ref.js_distance(counts_ref, counts_cur), rel=1e-9
        )
        assert feature.kl_divergence == pytest.approx(ref.kl(counts_ref, counts_cur), rel=1e-10)
    categories = list(calculator.profile["segment"].categories)
    ref_counts, _ = ref.category_counts(reference["segment"].tolist(), categories)
    cur_counts, unseen = ref.category_counts(current["segment"].tolist(), categories)
    assert unseen == 0
    segment = result["segment"]
    assert segment.psi == pytest.approx(ref.psi(ref_counts, cur_counts), rel=1e-10)
    assert segment.chi2_statistic == pytest.approx(ref.chi2(ref_counts, cur_counts)[0], rel=1e-10)
    assert segment.chi2_dof == 3


def test_profile_edges_are_reference_deciles_with_infinite_outer_edges(
    calculator: DriftCalculator,
) -> None:
    reference = _frames.window(ROWS, seed=1)
    edges = calculator.profile["normal"].edges
    assert edges[0] == -np.inf
    assert edges[-1] == np.inf
    np.testing.assert_allclose(
        edges[1:-1], np.quantile(reference["normal"], np.arange(1, 10) / 10), rtol=1e-15
    )
    # ties: poisson counts collapse duplicate deciles
    counts_edges = calculator.profile["counts"].edges[1:-1]
    assert np.all(np.diff(counts_edges) > 0)
    assert calculator.profile["counts"].counts.sum() == ROWS


def test_unseen_categories_get_their_own_bin(calculator: DriftCalculator) -> None:
    current = _frames.window(10_000, seed=6)
    current.loc[:1999, "segment"] = "new-segment"
    segment = calculator.calculate(current)["segment"]
    assert segment.unseen_current == 2000
    assert segment.chi2_dof == 4
    assert segment.severity == "critical"


def test_predictions_are_tagged_as_output_drift(calculator: DriftCalculator) -> None:
    current = _frames.window(20_000, seed=7)
    current["score"] = np.clip(current["score"] + 0.2, 0, 1)
    result = calculator.calculate(current)
    assert result["score"].kind == "prediction"
    assert result["normal"].kind == "feature"
    assert [f.name for f in result.flagged()] == ["score"]


def test_calculate_is_stateless(calculator: DriftCalculator) -> None:
    first = calculator.calculate(_frames.window(5_000, seed=8))
    calculator.calculate(_frames.window(5_000, seed=9, shift_sd={"normal": 3.0}))
    again = calculator.calculate(_frames.window(5_000, seed=8))
    assert first == again
    assert not calculator.profile["normal"].sorted_values.flags.writeable


def test_single_thread_and_pool_give_identical_results() -> None:
    reference, current = _frames.window(30_000, seed=10), _frames.window(30_000, seed=11)
    pooled = DriftCalculator(**_frames.calculator_columns(), threads=2).fit(reference)
    single = DriftCalculator(**_frames.calculator_columns(), threads=1).fit(reference)
    assert pooled.calculate(current) == single.calculate(current)


def test_from_profile_reproduces_the_fitted_calculator(
    calculator: DriftCalculator, tmp_path
) -> None:
    current = _frames.window(8_000, seed=12, shift_sd={"normal": 0.5})
    calculator.profile.save(tmp_path / "profile")
    loaded = DriftCalculator.from_profile(ReferenceProfile.load(tmp_path / "profile"))
    assert loaded.features == calculator.features
    assert loaded.prediction_columns == calculator.prediction_columns
    assert loaded.calculate(current) == calculator.calculate(current)


def test_result_round_trips_through_dict_and_frame(calculator: DriftCalculator) -> None:
    result = calculator.calculate(_frames.window(5_000, seed=13, shift_sd={"normal": 1.0}))
    assert DriftResult.from_dict(result.to_dict()) == result
    frame = result.to_frame()
    assert frame.loc["normal", "severity"] == "critical"
    metrics = result.metrics()
    assert metrics["drift.normal.severity"] == 2.0
    assert metrics["drift.n_flagged"] == 1.0
    assert all(np.isfinite(v) for v in metrics.values())


small_frames = st.integers(2, 300).flatmap(
    lambda rows: st.tuples(st.just(rows), st.integers(0, 2**32 - 1), st.integers(0, 2**32 - 1))
)


@settings(max_examples=40, deadline=None)
@given(small_frames)
def test_statistics_do_not_depend_on_row_order(case: tuple[int, int, int]) -> None:
    rows, seed, permutation_seed = case
    reference = _frames.window(500, seed=seed % 1000)
    current = _frames.window(rows, seed=seed, shift_sd={"normal": 0.3})
    shuffled = current.sample(frac=1.0, random_state=permutation_seed % 2**31)
    calculator = DriftCalculator(**_frames.calculator_columns(), threads=1).fit(reference)
    a, b = calculator.calculate(current), calculator.calculate(shuffled)
    for x, y in zip(a, b, strict=True):
        for metric in ("psi", "js_distance", "kl_divergence", "ks_statistic", "chi2_statistic"):
            assert x.statistic(metric) == pytest.approx(y.statistic(metric), rel=1e-12, nan_ok=True)
        assert x.wasserstein == pytest.approx(y.wasserstein, rel=1e-9, nan_ok=True)
        assert x.severity == y.severity


def test_numeric_inputs_of_other_dtypes_are_accepted() -> None:
    reference = pd.DataFrame({"x": pd.array([1, 2, None, 4, 5] * 100, dtype="Int64")})
    current = pd.DataFrame({"x": np.array([1.0, 2.0, 3.0, np.nan, 5.0] * 80, dtype=np.float32)})
    calculator = DriftCalculator(["x"]).fit(reference)
    assert calculator.profile["x"].missing == 100
    feature = calculator.calculate(current)["x"]
    assert (feature.n_current, feature.missing_current) == (320, 80)
    expected = stats.ks_2samp([1, 2, 4, 5] * 100, [1.0, 2.0, 3.0, 5.0] * 80).statistic
    assert abs(feature.ks_statistic - expected) <= 1e-12


def test_categorical_dtype_columns_use_their_codes() -> None:
    reference = pd.DataFrame({"c": ["x", "y", "y", "z", None] * 200})
    current = pd.DataFrame(
        {"c": pd.Categorical(["z", "z", "y", "w", None] * 100, categories=["w", "x", "y", "z"])}
    )
    calculator = DriftCalculator(["c"], categorical=["c"]).fit(reference)
    feature = calculator.calculate(current)["c"]
    assert (feature.n_current, feature.missing_current, feature.unseen_current) == (400, 100, 100)
    ref_counts = [200, 400, 200, 0]
    cur_counts = [0, 100, 200, 100]
    assert feature.chi2_statistic == pytest.approx(ref.chi2(ref_counts, cur_counts)[0], rel=1e-12)
