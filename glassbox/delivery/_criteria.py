"""One function per criterion: sample sizes first (what can be tested), then the test.

A criterion *fails* (votes rollback) when the challenger is significantly worse at the
per-test level (one-sided ``p < alpha_k``; the reported interval is the matching two-sided
``1 - 2 alpha_k`` interval of the worsening) *and* the observed
worsening exceeds its margin (tolerance): statistically and practically worse. It *passes* when
it had ``min_samples`` per side and did not fail.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict

from glassbox.delivery import _stats as stats
from glassbox.delivery._evidence import Evidence, Histogram
from glassbox.delivery._settings import (
    AgreementCriterion,
    AnalysisSettings,
    Criterion,
    LatencyCriterion,
    ScoreShiftCriterion,
)

Status = Literal["pass", "fail", "insufficient", "skipped"]
NAMES = ("error_rate", "latency_p95", "latency_p99", "score_shift", "agreement", "accuracy",
         "roc_auc")  # fmt: skip


class CriterionResult(BaseModel):
    """The outcome of one criterion, with the figures behind it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    status: Status
    required: bool
    reason: str
    n_champion: int = 0
    n_challenger: int = 0
    min_samples: int = 0
    champion: float | None = None
    challenger: float | None = None
    difference: float | None = None
    margin: float | None = None
    low: float | None = None
    high: float | None = None
    p_value: float | None = None
    test: str = ""


@dataclass(frozen=True)
class Context:
    settings: AnalysisSettings
    alpha: float  # per test (Bonferroni over the criteria tested)
    rng: np.random.Generator


def sizes(name: str, evidence: Evidence) -> tuple[int, int] | str:
    """Sample sizes per side, or why this criterion has no data in this evidence."""
    found = _SIZES[name.split("_p", maxsplit=1)[0] if name.startswith("latency") else name](
        evidence
    )
    return found if found is not None else evidence.notes.get(name) or _MISSING[name]


def _errors_sizes(ev: Evidence) -> tuple[int, int] | None:
    return None if ev.errors is None else (ev.errors[1], ev.errors[3])


def _latency_sizes(ev: Evidence) -> tuple[int, int] | None:
    if ev.latency_raw is not None:
        return ev.latency_raw[0].size, ev.latency_raw[1].size
    return _hist_sizes(ev.latency_hist)


def _score_sizes(ev: Evidence) -> tuple[int, int] | None:
    if ev.scores_raw is not None:
        return ev.scores_raw[0].size, ev.scores_raw[1].size
    return _hist_sizes(ev.scores_hist)


def _agreement_sizes(ev: Evidence) -> tuple[int, int] | None:
    return None if ev.agreement is None else (ev.agreement[1], ev.agreement[1])


def _labelled_sizes(ev: Evidence) -> tuple[int, int] | None:
    return None if ev.labelled is None else ev.labelled.sizes


_SIZES: dict[str, Callable[[Evidence], tuple[int, int] | None]] = {
    "error_rate": _errors_sizes,
    "latency": _latency_sizes,
    "score_shift": _score_sizes,
    "agreement": _agreement_sizes,
    "accuracy": _labelled_sizes,
    "roc_auc": _labelled_sizes,
}
_MISSING = {
    "error_rate": "no request counts",
    "latency_p95": "no latencies",
    "latency_p99": "no latencies",
    "score_shift": "no scores",
    "agreement": "needs both models' labels for the same requests (a shadow log)",
    "accuracy": "no targets have arrived for these predictions",
    "roc_auc": "no targets have arrived for these predictions",
}


def _hist_sizes(hist: Histogram | None) -> tuple[int, int] | None:
    if hist is None:
        return None
    return int(hist.champion.sum()), int(hist.challenger.sum())


def _from_comparison(
    name: str,
    conf: Criterion,
    n: tuple[int, int],
    found: stats.Comparison,
    *,
    unit: str,
    alpha: float,
) -> CriterionResult:
    margin = conf.margin(found.champion)
    significant = found.p_value < alpha
    worse = significant and found.difference > margin
    figures = (
        f"champion {found.champion:.4g}{unit}, challenger {found.challenger:.4g}{unit}, "
        f"worse by {found.difference:+.4g}{unit} (interval {found.low:+.4g} .. "
        f"{found.high:+.4g}, p={found.p_value:.3g}, margin {margin:.4g}{unit})"
    )
    if worse:
        reason = f"{name}: challenger significantly worse beyond the margin: {figures}"
    elif significant:
        reason = f"{name}: significantly worse but within the margin: {figures}"
    else:
        reason = f"{name}: no significant worsening: {figures}"
    return CriterionResult(
        name=name,
        status="fail" if worse else "pass",
        required=conf.required,
        reason=reason,
        n_champion=n[0],
        n_challenger=n[1],
        min_samples=conf.min_samples,
        champion=found.champion,
        challenger=found.challenger,
        difference=found.difference,
        margin=margin,
        low=found.low,
        high=found.high,
        p_value=found.p_value,
        test=found.test,
    )


def error_rate(ev: Evidence, ctx: Context, n: tuple[int, int]) -> CriterionResult:
    assert ev.errors is not None
    e1, n1, e2, n2 = ev.errors
    found = stats.two_proportions((e1, n1), (e2, n2), ctx.alpha)
    return _from_comparison(
        "error_rate", ctx.settings.error_rate, n, found, unit="", alpha=ctx.alpha
    )


def _latency(name: str) -> Callable[[Evidence, Context, tuple[int, int]], CriterionResult]:
    def evaluate(ev: Evidence, ctx: Context, n: tuple[int, int]) -> CriterionResult:
        conf: LatencyCriterion = getattr(ctx.settings, name)
        resamples = ctx.settings.bootstrap_resamples
        if ev.latency_raw is not None:
            a, b = ev.latency_raw
            found = stats.quantile_difference(
                a, b, conf.quantile, alpha=ctx.alpha, resamples=resamples, rng=ctx.rng
            )
        else:
            assert ev.latency_hist is not None
            h = ev.latency_hist
            found = stats.histogram_quantile_difference(
                h.bounds, h.champion, h.challenger, conf.quantile,
                alpha=ctx.alpha, resamples=resamples, rng=ctx.rng,
            )  # fmt: skip
        return _from_comparison(name, conf, n, found, unit=" s", alpha=ctx.alpha)

    return evaluate


def score_shift(ev: Evidence, ctx: Context, n: tuple[int, int]) -> CriterionResult:
    from glassbox.delivery._shift import shift_from_histograms, shift_from_scores

    conf: ScoreShiftCriterion = ctx.settings.score_shift
    thresholds = {**conf.thresholds, "alpha": ctx.alpha}
    if ev.scores_raw is not None:
        severity, figures = shift_from_scores(*ev.scores_raw, thresholds)
    else:
        assert ev.scores_hist is not None
        severity, figures = shift_from_histograms(ev.scores_hist, thresholds)
    rank = {"none": 0, "warning": 1, "critical": 2}
    worse = rank[severity] >= rank[conf.rollback_at]
    return CriterionResult(
        name="score_shift",
        status="fail" if worse else "pass",
        required=conf.required,
        reason=f"score_shift: severity {severity} (rollback at {conf.rollback_at}): "
        + figures["summary"],
        n_champion=n[0],
        n_challenger=n[1],
        min_samples=conf.min_samples,
        champion=figures.get("champion_mean"),
        challenger=figures.get("challenger_mean"),
        difference=figures.get("psi"),
        p_value=figures.get("p_value"),
        test=figures["test"],
    )


def agreement(ev: Evidence, ctx: Context, n: tuple[int, int]) -> CriterionResult:
    assert ev.agreement is not None
    conf: AgreementCriterion = ctx.settings.agreement
    same, total = ev.agreement
    low, high = stats.wilson_interval(same, total, ctx.alpha)
    share = same / total
    worse = high < conf.min_agreement
    verb = "significantly below" if worse else "not significantly below"
    return CriterionResult(
        name="agreement",
        status="fail" if worse else "pass",
        required=conf.required,
        reason=f"agreement: {share:.4f} of {total} labels agree, {verb} the minimum "
        f"{conf.min_agreement} (interval {low:.4f} .. {high:.4f})",
        n_champion=n[0],
        n_challenger=n[1],
        min_samples=conf.min_samples,
        challenger=share,
        margin=conf.min_agreement,
        low=low,
        high=high,
        test="Wilson score interval",
    )


def accuracy(ev: Evidence, ctx: Context, n: tuple[int, int]) -> CriterionResult:
    lab = ev.labelled
    assert lab is not None
    correct_a = lab.label_champion == lab.target_champion
    correct_b = lab.label_challenger == lab.target_challenger
    if lab.paired:
        found = stats.accuracy_paired(correct_a, correct_b, ctx.alpha)
    else:
        wrong = stats.two_proportions(
            (int((~correct_a).sum()), correct_a.size),
            (int((~correct_b).sum()), correct_b.size),
            ctx.alpha,
        )
        found = stats.Comparison(
            1 - wrong.champion, 1 - wrong.challenger, wrong.difference, wrong.p_value,
            wrong.low, wrong.high, wrong.test,
        )  # fmt: skip
    return _from_comparison("accuracy", ctx.settings.accuracy, n, found, unit="", alpha=ctx.alpha)


def roc_auc(ev: Evidence, ctx: Context, n: tuple[int, int]) -> CriterionResult | str:
    lab = ev.labelled
    assert lab is not None
    for target in (lab.target_champion, lab.target_challenger):
        if np.unique(target).size < 2:
            return "the labelled rows hold a single class: ROC AUC is undefined"
    if lab.paired:
        found = stats.delong_paired(
            lab.target_champion, lab.proba_champion, lab.proba_challenger, ctx.alpha
        )
    else:
        found = stats.delong_unpaired(
            (lab.target_champion, lab.proba_champion),
            (lab.target_challenger, lab.proba_challenger),
            ctx.alpha,
        )
    return _from_comparison("roc_auc", ctx.settings.roc_auc, n, found, unit="", alpha=ctx.alpha)


EVALUATORS: dict[str, Callable[[Evidence, Context, tuple[int, int]], Any]] = {
    "error_rate": error_rate,
    "latency_p95": _latency("latency_p95"),
    "latency_p99": _latency("latency_p99"),
    "score_shift": score_shift,
    "agreement": agreement,
    "accuracy": accuracy,
    "roc_auc": roc_auc,
}
