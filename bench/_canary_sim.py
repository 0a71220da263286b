"""Simulated champion/challenger traffic for the canary benchmark and its fast test.

Shadow traffic (paired): every request is scored by both models. Labels are Bernoulli(0.5)
(the car-loan default rate); each model's score is a logistic transform of a binormal latent
``d * y + noise`` whose noise is shared between the two models to correlation ``rho`` (two
retrained models agree on most rows: the real car-loan models of seeds 42 and 7 agree on 99% of
labels, scores correlate at 0.997); ROC AUC = Phi(d / sqrt(2)). Errors are Bernoulli per side,
latencies log-normal (median 8 ms, sigma 0.45: a right-skewed service time).

Canary traffic (unpaired, as Prometheus sees it): each version gets its own requests; errors
are counted, latencies and scores binned into the serving histograms' buckets.

Scores from real models (``real_scores``) replace the binormal ones when given: the benchmark
trains the car-loan model and a deliberately worse one and samples their scores row by row.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.stats import norm

from glassbox.delivery import Evidence, Histogram, ShadowLog, from_shadow
from glassbox.delivery._shadow import FLAT_COLUMNS

LATENCY_BOUNDS = np.array(
    [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
)
SCORE_BOUNDS = np.round(np.arange(1, 20) * 0.05, 2)
T0 = pd.Timestamp("2026-01-01", tz="UTC")


@dataclass(frozen=True)
class Side:
    auc: float = 0.96
    error_rate: float = 0.01
    latency_median: float = 0.008
    latency_sigma: float = 0.45


@dataclass(frozen=True)
class Scenario:
    name: str
    champion: Side = field(default_factory=Side)
    challenger: Side = field(default_factory=Side)
    rho: float = 0.98  # correlation of the two models' score noise (paired traffic)


@dataclass(frozen=True)
class RealScores:
    """Scores of real models on the same labelled rows (column per model)."""

    target: np.ndarray
    champion: np.ndarray
    challenger: np.ndarray


def _scores(rng: np.random.Generator, y: np.ndarray, s: Scenario) -> tuple[np.ndarray, ...]:
    common = rng.standard_normal(y.size)
    out = []
    for side in (s.champion, s.challenger):
        d = np.sqrt(2) * norm.ppf(side.auc)
        noise = np.sqrt(s.rho) * common + np.sqrt(1 - s.rho) * rng.standard_normal(y.size)
        out.append(1 / (1 + np.exp(-1.5 * (d * y + noise - d / 2))))
    return tuple(out)


def shadow_evidence(
    rng: np.random.Generator, n: int, s: Scenario, real: RealScores | None = None
) -> Evidence:
    """A shadow log of ``n`` requests (all labelled), through the same reader path."""
    if real is None:
        y = (rng.random(n) < 0.5).astype(np.int64)
        proba = _scores(rng, y, s)
    else:
        rows = rng.choice(real.target.size, size=n, replace=False)
        y, proba = real.target[rows], (real.champion[rows], real.challenger[rows])
    ids = np.arange(n).astype(str)
    frame = pd.DataFrame({"schema_version": 1, "request_id": ids, "id": ids, "model": "m"})
    frame["timestamp"] = T0 + pd.to_timedelta(np.arange(n), unit="s")
    for name, side, p in zip(
        ("champion", "challenger"), (s.champion, s.challenger), proba, strict=True
    ):
        failed = rng.random(n) < side.error_rate
        frame[f"{name}_version"] = "1" if name == "champion" else "2"
        frame[f"{name}_proba"] = np.where(failed, np.nan, p)
        frame[f"{name}_label"] = np.where(failed, np.nan, (p >= 0.5).astype(float))
        latency = rng.lognormal(np.log(side.latency_median), side.latency_sigma, n)
        frame[f"{name}_latency_seconds"] = np.where(failed, np.nan, latency)
        frame[f"{name}_error"] = np.where(failed, "model_error", None)
    targets = pd.DataFrame({"id": ids, "target": y})
    return from_shadow(ShadowLog(frame.loc[:, list(FLAT_COLUMNS)], ("simulated",)), targets)


def canary_evidence(rng: np.random.Generator, n: int, s: Scenario) -> Evidence:
    """Counters and histograms of two versions with ``n`` requests each (Prometheus' view)."""
    errors, latency, scores = [], [], []
    for side in (s.champion, s.challenger):
        failed = int(rng.binomial(n, side.error_rate))
        errors += [failed, n]
        seconds = rng.lognormal(np.log(side.latency_median), side.latency_sigma, n)
        latency.append(np.bincount(np.searchsorted(LATENCY_BOUNDS, seconds), minlength=15))
        y = (rng.random(n - failed) < 0.5).astype(np.int64)
        d = np.sqrt(2) * norm.ppf(side.auc)
        p = 1 / (1 + np.exp(-1.5 * (d * y + rng.standard_normal(y.size) - d / 2)))
        scores.append(np.bincount(np.searchsorted(SCORE_BOUNDS, p), minlength=20))
    return Evidence(
        source="prometheus",
        model="m",
        champion_version="1",
        challenger_version="2",
        errors=(errors[0], errors[1], errors[2], errors[3]),
        latency_hist=Histogram(LATENCY_BOUNDS, latency[0], latency[1]),
        scores_hist=Histogram(SCORE_BOUNDS, scores[0], scores[1]),
    )


SCENARIOS = {
    "identical": Scenario("identical"),
    "auc_minus_2pt": Scenario("auc_minus_2pt", challenger=Side(auc=0.94)),
    "errors_doubled": Scenario("errors_doubled", challenger=Side(error_rate=0.02)),
    "p99_plus_30pct": Scenario("p99_plus_30pct", challenger=Side(latency_median=0.0104)),
}
