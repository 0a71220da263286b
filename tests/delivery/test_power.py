"""Statistical behaviour at the configured sample sizes, fast version of bench/canary.py
(fixed seeds, 100 trials per scenario, 2000 bootstrap resamples): identical models are not
rolled back in >= 95% of trials; a 2-point ROC AUC drop or a doubled error rate is caught in
>= 90%. The benchmark runs 500 trials per scenario and adds the real car-loan model."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from bench._canary_sim import SCENARIOS
from bench.canary import labelled_rows, maker, trials
from glassbox.config import load_settings
from glassbox.delivery import AnalysisSettings, Evidence
from tests.conftest import REPO

TRIALS = 100


@pytest.fixture(scope="module")
def configured() -> AnalysisSettings:
    conf = load_settings(REPO / "mlruns_config" / "glassbox.yaml", environ={}).delivery.analysis
    return conf.model_copy(update={"bootstrap_resamples": 2000})


def _maker(source: str, scenario: str, n: int) -> Callable[[np.random.Generator], Evidence]:
    return maker(source, SCENARIOS[scenario], n)  # type: ignore[no-any-return]


@pytest.mark.parametrize("source", ["shadow", "canary"])
def test_identical_models_are_not_rolled_back(source: str, configured: AnalysisSettings) -> None:
    n = configured.error_rate.min_samples
    result = trials(_maker(source, "identical", n), configured, TRIALS, seed=101)
    assert 1 - result["rollback"] >= 0.95, result
    assert result["promote"] >= 0.9, result  # and enough data to decide at that size


def test_a_two_point_auc_drop_is_caught(configured: AnalysisSettings) -> None:
    n = labelled_rows(configured)
    result = trials(_maker("shadow", "auc_minus_2pt", n), configured, TRIALS, seed=202)
    assert result["rollback"] >= 0.90, result
    assert result["caught_by"].get("roc_auc", 0) >= 0.9 * TRIALS, result


@pytest.mark.parametrize("source", ["shadow", "canary"])
def test_a_doubled_error_rate_is_caught(source: str, configured: AnalysisSettings) -> None:
    n = configured.error_rate.min_samples
    result = trials(_maker(source, "errors_doubled", n), configured, TRIALS, seed=303)
    assert result["rollback"] >= 0.90, result
    assert result["caught_by"].get("error_rate", 0) >= 0.9 * TRIALS, result
