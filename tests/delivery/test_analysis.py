"""The verdict: rollback on a significant and material worsening, promote when every required
criterion passed with its minimum samples, continue otherwise; with reasons and exit codes."""

from __future__ import annotations

import numpy as np
import pytest

from glassbox.delivery import EXIT_CODES, AnalysisSettings, Evidence, Labelled, analyze


def evidence(
    seed: int = 0,
    n: int = 8000,
    *,
    errors: tuple[float, float] = (0.01, 0.01),
    slower: float = 1.0,
    shift: float = 0.0,
    agree: float = 1.0,
    labelled: bool = True,
) -> Evidence:
    rng = np.random.default_rng(seed)
    lat_a = rng.lognormal(np.log(0.008), 0.45, n)
    lat_b = rng.lognormal(np.log(0.008 * slower), 0.45, n)
    y = (rng.random(n) < 0.5).astype(np.int64)
    score_a = 1 / (1 + np.exp(-(3 * y - 1.5 + rng.normal(0, 1, n))))
    score_b = np.clip(score_a + rng.normal(shift, 0.01, n), 0, 1)
    label_a = (score_a >= 0.5).astype(np.int64)
    label_b = (score_b >= 0.5).astype(np.int64)
    label_b = np.where(rng.random(n) < agree, label_b, 1 - label_b)
    return Evidence(
        source="shadow",
        model="m",
        champion_version="1",
        challenger_version="2",
        errors=(int(rng.binomial(n, errors[0])), n, int(rng.binomial(n, errors[1])), n),
        latency_raw=(lat_a, lat_b),
        scores_raw=(score_a, score_b),
        agreement=(int((label_a == label_b).sum()), n),
        labelled=Labelled(True, y, score_a, label_a, y, score_b, label_b) if labelled else None,
        notes={} if labelled else {"roc_auc": "no targets given (--targets none)"},
    )


SETTINGS = AnalysisSettings(bootstrap_resamples=4000)


def test_equal_challenger_is_promoted_with_every_criterion_tested() -> None:
    found = analyze(evidence(), SETTINGS)
    assert found.verdict == "promote", found.summary()
    assert found.exit_code == EXIT_CODES["promote"] == 0
    assert {c.name: c.status for c in found.criteria} == dict.fromkeys(
        ("error_rate", "latency_p95", "latency_p99", "score_shift", "agreement", "accuracy",
         "roc_auc"), "pass",
    )  # fmt: skip
    assert found.alpha_per_test == pytest.approx(SETTINGS.alpha / 7)
    assert found.reasons[0].startswith("no significant worsening on error_rate, latency_p95")


def test_doubled_errors_roll_back_naming_the_criterion_and_its_figures() -> None:
    found = analyze(evidence(errors=(0.01, 0.02)), SETTINGS)
    assert found.verdict == "rollback"
    assert found.exit_code == 1
    (reason,) = found.reasons
    assert reason.startswith("error_rate: challenger significantly worse beyond the margin")
    error = found.criterion("error_rate")
    assert error.test == "two-proportion z-test"
    assert error.p_value is not None and error.p_value < found.alpha_per_test
    assert error.low is not None and error.low > 0


def test_slower_challenger_rolls_back_on_latency_with_a_bootstrap_interval() -> None:
    found = analyze(evidence(slower=1.5), SETTINGS)
    assert found.verdict == "rollback"
    p99 = found.criterion("latency_p99")
    assert p99.status == "fail"
    assert "bootstrap of the p99 difference" in p99.test
    assert p99.difference == pytest.approx(p99.challenger - p99.champion)


def test_shifted_scores_and_disagreeing_labels_fail_their_criteria() -> None:
    shifted = analyze(evidence(shift=0.15), SETTINGS)
    assert shifted.criterion("score_shift").status == "fail"
    assert "severity critical" in shifted.criterion("score_shift").reason
    disagree = analyze(evidence(agree=0.8), SETTINGS)
    assert disagree.criterion("agreement").status == "fail"
    assert "significantly below the minimum 0.9" in disagree.criterion("agreement").reason


def test_too_few_samples_means_continue_with_the_counts() -> None:
    found = analyze(evidence(n=1500), SETTINGS)
    assert found.verdict == "continue"
    assert found.exit_code == 3
    assert found.criterion("error_rate").status == "insufficient"
    assert any(r.startswith("error_rate: 1500 of the 6000 samples per side") for r in found.reasons)


def test_a_material_worsening_still_rolls_back_before_the_minimum_is_reached_elsewhere() -> None:
    settings = SETTINGS.model_copy(
        update={"error_rate": SETTINGS.error_rate.model_copy(update={"min_samples": 100_000})}
    )
    found = analyze(evidence(slower=1.5), settings)
    assert found.criterion("error_rate").status == "insufficient"
    assert found.verdict == "rollback"


def test_a_significant_change_within_the_margin_passes() -> None:
    tolerant = SETTINGS.model_copy(
        update={"error_rate": SETTINGS.error_rate.model_copy(update={"tolerance": 0.05})}
    )
    found = analyze(evidence(errors=(0.01, 0.02)), tolerant)
    error = found.criterion("error_rate")
    assert error.status == "pass"
    assert error.reason.startswith("error_rate: significantly worse but within the margin")


def test_missing_labels_are_skipped_with_the_reason_and_do_not_block_promotion() -> None:
    found = analyze(evidence(labelled=False), SETTINGS)
    assert found.verdict == "promote"
    assert found.criterion("roc_auc").status == "skipped"
    assert found.criterion("roc_auc").reason == "roc_auc: no targets given (--targets none)"
    assert found.alpha_per_test == pytest.approx(SETTINGS.alpha / 5)


def test_a_required_criterion_without_data_holds_the_verdict_at_continue() -> None:
    strict = SETTINGS.model_copy(
        update={"roc_auc": SETTINGS.roc_auc.model_copy(update={"required": True})}
    )
    found = analyze(evidence(labelled=False), strict)
    assert found.verdict == "continue"
    assert found.reasons == ["roc_auc: no targets given (--targets none)"]


def test_disabled_criteria_are_left_out_and_figures_become_metrics() -> None:
    lean = SETTINGS.model_copy(
        update={"agreement": SETTINGS.agreement.model_copy(update={"enabled": False})}
    )
    found = analyze(evidence(), lean)
    assert "agreement" not in {c.name for c in found.criteria}
    metrics = found.metrics()
    assert metrics["canary.exit_code"] == 0.0
    assert metrics["canary.error_rate.n_challenger"] == 8000.0
    assert "canary.roc_auc.p_value" in metrics
    text = found.summary()
    assert text.splitlines()[0] == "m: challenger v2 against champion v1 (shadow): PROMOTE"
