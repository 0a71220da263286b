"""Threshold rules from configuration, dynamic thresholds from history, significance gating."""

from __future__ import annotations

import json

import numpy as np
import pytest
import yaml

from glassbox.drift import (
    DriftCalculator,
    DriftConfigError,
    DriftError,
    DriftHistory,
    DriftThresholds,
    DynamicThreshold,
    StaticThreshold,
)
from glassbox.errors import ConfigError

from . import _frames

CONFIG = """
alpha: 0.01
default:
  - {type: static, metric: psi, warning: 0.1, critical: 0.2}
features:
  normal:
    - {type: static, metric: wasserstein_normalized, warning: 0.05, critical: 0.4}
  uniform:
    - {type: dynamic, metric: psi, k_warning: 2, k_critical: 3, min_history: 4,
       fallback: {metric: psi, warning: 0.1, critical: 0.2}}
"""


def test_yaml_config_parses_into_typed_rules() -> None:
    thresholds = DriftThresholds.parse(yaml.safe_load(CONFIG))
    assert thresholds.alpha == 0.01
    assert thresholds.rules_for("lognormal") == (StaticThreshold(),)
    (normal_rule,) = thresholds.rules_for("normal")
    assert normal_rule == StaticThreshold(
        metric="wasserstein_normalized", warning=0.05, critical=0.4
    )
    (uniform_rule,) = thresholds.rules_for("uniform")
    assert isinstance(uniform_rule, DynamicThreshold)
    assert uniform_rule.min_history == 4
    assert DriftThresholds.parse(thresholds.model_dump()) == thresholds


@pytest.mark.parametrize(
    ("config", "message"),
    [
        (
            {"default": [{"type": "static", "warning": 0.3, "critical": 0.2}]},
            r"thresholds\.default\.0\.static.*must not exceed",
        ),
        ({"default": [{"type": "percentile"}]}, r"thresholds\.default\.0.*'static', 'dynamic'"),
        (
            {"default": [{"type": "static", "metric": "auc"}]},
            r"thresholds\.default\.0\.static\.metric",
        ),
        ({"alpha": 1.5}, r"thresholds\.alpha"),
        (
            {"features": {"x": [{"type": "dynamic", "min_history": 1}]}},
            r"thresholds\.features\.x\.0\.dynamic\.min_history",
        ),
        ({"aplha": 0.1}, r"thresholds\.aplha: Extra inputs"),
        (
            {"default": [{"type": "dynamic", "metric": "js_distance"}]},
            r"fallback metric 'psi' must equal metric 'js_distance'",
        ),
    ],
)
def test_invalid_threshold_config_names_the_field(config: dict, message: str) -> None:
    with pytest.raises(DriftConfigError, match=message) as caught:
        DriftThresholds.parse(config)
    assert isinstance(caught.value, ConfigError)
    assert "\n" not in str(caught.value)


def test_dynamic_limits_are_mean_plus_k_std_of_history() -> None:
    rule = DynamicThreshold(k_warning=2, k_critical=3, min_history=3)
    history = [0.01, 0.03, 0.02, 0.04]
    mean, std = np.mean(history), np.std(history, ddof=1)
    warning, critical, source = rule.limits(history)
    assert (warning, critical, source) == (
        pytest.approx(mean + 2 * std),
        pytest.approx(mean + 3 * std),
        "dynamic",
    )


def test_dynamic_limits_fall_back_to_static_with_short_history() -> None:
    rule = DynamicThreshold(min_history=5, fallback=StaticThreshold(warning=0.15, critical=0.3))
    assert rule.limits([0.01, 0.02, float("nan"), 0.01, 0.02]) == (0.15, 0.3, "static")


def _calculator(config: dict) -> DriftCalculator:
    return DriftCalculator(**_frames.calculator_columns(), thresholds=config, threads=1).fit(
        _frames.window(50_000, seed=20)
    )


def test_dynamic_threshold_flags_a_window_far_above_its_history() -> None:
    config = {
        "default": [{"type": "dynamic", "metric": "psi", "min_history": 4}],
    }
    calculator = _calculator(config)
    quiet = [calculator.calculate(_frames.window(50_000, seed=s)) for s in range(21, 27)]
    history = DriftHistory.from_results(quiet)
    assert len(history) == 6
    # a 0.1 sd shift: PSI ~0.01, far below the static 0.1 but far above the noise of history
    shifted = _frames.window(50_000, seed=30, shift_sd={"normal": 0.1})
    with_history = calculator.calculate(shifted, history=history)
    assert [f.name for f in with_history.flagged()] == ["normal"]
    assert "(dynamic)" in with_history["normal"].reasons[0]
    without_history = calculator.calculate(shifted)
    assert without_history.flagged() == ()
    from_json = calculator.calculate(shifted, history=json.loads(json.dumps(history.to_dict())))
    assert from_json == with_history


def test_per_feature_rules_override_the_default() -> None:
    calculator = _calculator(yaml.safe_load(CONFIG))
    result = calculator.calculate(_frames.window(50_000, seed=31, shift_sd={"normal": 0.1}))
    normal = result["normal"]
    assert normal.psi < 0.1  # the default PSI rule would not fire
    assert normal.severity == "warning"
    assert normal.reasons[0].startswith("wasserstein_normalized")


STATIC = [{"type": "static", "metric": "psi", "warning": 0.1, "critical": 0.2}]


def test_large_effect_without_significance_is_not_an_alert() -> None:
    calculator = DriftCalculator(["x"], thresholds={"alpha": 0.05, "default": STATIC}).fit(
        _frames.window(5_000, seed=40).rename(columns={"uniform": "x"})
    )
    tiny = _frames.window(12, seed=41).rename(columns={"uniform": "x"})
    feature = calculator.calculate(tiny)["x"]
    assert feature.psi >= 0.2  # 12 rows over 10 bins: PSI is mostly noise
    assert not feature.significant
    assert feature.severity == "none"
    assert "not significant" in feature.reasons[-1]
    lenient = DriftCalculator.from_profile(
        calculator.profile, thresholds={"require_significance": False, "default": STATIC}
    )
    assert lenient.calculate(tiny)["x"].severity == "critical"
    # The calibrated default knows what 12 rows over 10 bins look like: no alert, even
    # without the significance gate.
    calibrated = DriftCalculator.from_profile(
        calculator.profile, thresholds={"require_significance": False}
    )
    assert calibrated.calculate(tiny)["x"].severity == "none"


def test_history_round_trips_through_json() -> None:
    calculator = _calculator({})
    results = [calculator.calculate(_frames.window(5_000, seed=s)) for s in (50, 51, 52)]
    history = DriftHistory.from_results(results, max_length=2)
    restored = DriftHistory.from_dict(json.loads(json.dumps(history.to_dict())))
    assert restored.values("normal", "psi") == history.values("normal", "psi")
    assert len(restored.values("segment", "ks_statistic")) == 2
    assert np.isnan(restored.values("segment", "ks_statistic")).all()


def test_history_rejects_unknown_metrics() -> None:
    with pytest.raises(DriftError, match=r"history\['x'\]: unknown metric 'auc'"):
        DriftHistory({"x": {"auc": [0.1]}})
