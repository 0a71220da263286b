"""Performance thresholds calibrated on the reference, controlling false alarms over all chunks.

NannyML's default band (mean - k std of a handful of reference chunks) is judged chunk by chunk,
so a window of 40 healthy chunks "drops" a few of them. Here each metric's noise is measured on
the reference by the bootstrap (``Calibration.bootstrap`` resamples, scaled as 1/sqrt(rows) to
any chunk size) and a chunk has *dropped* when its value is worse than the reference value by
more than the one-sided ``1 - a`` normal quantile of the difference of the two noises (the
chunk's and the reference's), ``a`` being the false-alarm rate split over the window's chunks
(Bonferroni): a same-distribution window raises a performance alert with probability at most
the configured rate, however many chunks it has. The concept-drift verdict reads the same flags.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from glassbox.monitoring._config import HIGHER_IS_BETTER

if TYPE_CHECKING:
    from glassbox.drift import Calibration
    from glassbox.monitoring._results import ChunkResult, MonitoringResult, PerformanceValue

Scorer = Callable[[np.ndarray, np.ndarray, np.ndarray], float]


class MetricNoise(BaseModel):
    """A metric on the whole reference and its sampling noise (sd x sqrt(rows)); for the
    label-free estimate (CBPE), the estimator's own value on the reference and noise."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    metric: str
    reference: float
    sd_unit: float = Field(ge=0)
    estimated: float | None = None
    estimated_sd_unit: float | None = Field(None, ge=0)

    def sd(self, rows: int, *, estimated: bool = False) -> float:
        unit = self.estimated_sd_unit if estimated and self.estimated_sd_unit else self.sd_unit
        return unit / math.sqrt(rows) if rows > 0 else math.inf

    def center(self, *, estimated: bool = False) -> float:
        return self.estimated if estimated and self.estimated is not None else self.reference


class PerformanceBaseline(BaseModel):
    """The reference's own performance and noise, per metric, and the false-alarm rate."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    rows: int = Field(ge=1)
    false_alarm_rate: float = Field(gt=0, lt=0.5)
    metrics: dict[str, MetricNoise]

    def limit(
        self, metric: str, rows: int, level: float, *, estimated: bool = False
    ) -> float | None:
        """The worst value a same-distribution chunk of ``rows`` rows reaches with probability
        ``level`` (below the reference for scores, above it for errors); ``estimated``: for
        the label-free estimate, around the estimator's own value on the reference."""
        from scipy.stats import norm

        noise = self.metrics.get(metric)
        if noise is None or rows <= 0:
            return None
        sd = math.hypot(
            noise.sd(rows, estimated=estimated), noise.sd(self.rows, estimated=estimated)
        )
        spread = sd * float(norm.isf(level))
        center = noise.center(estimated=estimated)
        return center - spread if HIGHER_IS_BETTER.get(metric, True) else center + spread


def scorers() -> dict[str, Scorer]:
    """metric -> f(y_true, score, predicted) (score: probability or regression prediction)."""
    from sklearn import metrics as m

    def _rmse(y: np.ndarray, s: np.ndarray, _: np.ndarray) -> float:
        return float(np.sqrt(m.mean_squared_error(y, s)))

    return {
        "roc_auc": lambda y, s, _: float(m.roc_auc_score(y, s)),
        "accuracy": lambda y, _, c: float(m.accuracy_score(y, c)),
        "f1": lambda y, _, c: float(m.f1_score(y, c, zero_division=0)),
        "precision": lambda y, _, c: float(m.precision_score(y, c, zero_division=0)),
        "recall": lambda y, _, c: float(m.recall_score(y, c, zero_division=0)),
        "specificity": lambda y, _, c: float(m.recall_score(y, c, pos_label=0, zero_division=0)),
        "mae": lambda y, s, _: float(m.mean_absolute_error(y, s)),
        "mse": lambda y, s, _: float(m.mean_squared_error(y, s)),
        "rmse": _rmse,
        "mape": lambda y, s, _: float(m.mean_absolute_percentage_error(y, s)),
        "r2": lambda y, s, _: float(m.r2_score(y, s)),
    }


def score(metric: str, y: np.ndarray, s: np.ndarray, c: np.ndarray) -> float | None:
    """``metric`` on labelled rows; None when it is not defined (no rows, one class for AUC)."""
    if y.size == 0 or (metric == "roc_auc" and np.unique(y).size < 2):
        return None
    return scorers()[metric](y, s, c)


def expected_metric(metric: str, p: np.ndarray, c: np.ndarray) -> float | None:
    """What a calibrated model's probabilities ``p`` say the metric is, without labels (the
    CBPE estimator): expected ROC AUC over pairs, expected accuracy; None for other metrics."""
    if p.size < 2:
        return None
    if metric == "accuracy":
        return float(np.mean(np.where(c >= 0.5, p, 1 - p)))
    if metric != "roc_auc":
        return None
    order = np.argsort(p, kind="stable")
    ps = p[order]
    negatives_below = np.concatenate(([0.0], np.cumsum(1 - ps)[:-1]))
    pairs = float(ps.sum() * (1 - ps).sum() - (ps * (1 - ps)).sum())
    return float((ps * negatives_below).sum() / pairs) if pairs > 0 else None


def performance_baseline(
    y: np.ndarray,
    s: np.ndarray,
    c: np.ndarray,
    metrics: Sequence[str],
    calibration: Calibration,
    *,
    estimated_centers: dict[str, float] | None = None,
) -> PerformanceBaseline:
    """Each metric on the reference and its bootstrap noise (``calibration.bootstrap`` draws of
    min(rows, 5000) rows, seeded); for the label-free estimate, the noise of the expected metric
    under calibrated probabilities, centred on ``estimated_centers`` (CBPE's own estimate on the
    reference) when given."""
    from sklearn.isotonic import IsotonicRegression

    rows = int(y.size)
    size = min(rows, 5000)
    # CBPE reads calibrated probabilities: calibrate on the reference as it does (isotonic).
    calibrated = IsotonicRegression(out_of_bounds="clip", y_min=0, y_max=1).fit(s, y).predict(s)
    rng = np.random.default_rng(calibration.seed)
    draws = [rng.integers(0, rows, size) for _ in range(calibration.bootstrap)]
    out: dict[str, MetricNoise] = {}
    for metric in metrics:
        reference = score(metric, y, s, c)
        if reference is None:
            continue
        values = [score(metric, y[i], s[i], c[i]) for i in draws]
        estimated = expected_metric(metric, calibrated, c)
        guesses = [expected_metric(metric, calibrated[i], c[i]) for i in draws]
        out[metric] = MetricNoise(
            metric=metric,
            reference=reference,
            sd_unit=_sd(values) * math.sqrt(size),
            estimated=(estimated_centers or {}).get(metric, estimated),
            estimated_sd_unit=_sd(guesses) * math.sqrt(size) if estimated else None,
        )
    return PerformanceBaseline(
        rows=rows, false_alarm_rate=calibration.false_alarm_rate, metrics=out
    )


def _sd(values: Sequence[float | None]) -> float:
    finite = np.array([v for v in values if v is not None], dtype=np.float64)
    return float(finite.std(ddof=1)) if finite.size > 1 else 0.0


def _judged(
    value: PerformanceValue,
    rows: int,
    baseline: PerformanceBaseline,
    *,
    level: float,
    allowed: bool,
    estimated: bool = False,
) -> PerformanceValue:
    limit = baseline.limit(value.metric, rows, level, estimated=estimated)
    if limit is None:
        return value
    higher = HIGHER_IS_BETTER.get(value.metric, True)
    worse = value.value is not None and (value.value < limit if higher else value.value > limit)
    bound = {"lower_threshold": limit} if higher else {"upper_threshold": limit}
    return value.model_copy(update={**bound, "dropped": bool(worse and allowed)})


def calibrate(result: MonitoringResult, baseline: PerformanceBaseline) -> MonitoringResult:
    """The result with each chunk's estimated and realized metrics judged against calibrated
    limits (``dropped``), the false-alarm rate split over the chunks that have a value."""
    estimated = sum(1 for c in result.chunks if c.sufficient)
    realized = sum(1 for c in result.chunks if any(v.value is not None for v in c.realized))
    rate = baseline.false_alarm_rate
    chunks: list[ChunkResult] = []
    for chunk in result.chunks:
        est = tuple(
            _judged(
                v,
                chunk.rows,
                baseline,
                level=rate / max(estimated, 1),
                allowed=chunk.sufficient,
                estimated=True,
            )
            for v in chunk.estimated
        )
        real = tuple(
            _judged(
                v,
                chunk.labelled_rows,
                baseline,
                level=rate / max(realized, 1),
                allowed=v.value is not None,
            )
            for v in chunk.realized
        )
        chunks.append(chunk.model_copy(update={"estimated": est, "realized": real}))
    return result.model_copy(update={"chunks": tuple(chunks)})
