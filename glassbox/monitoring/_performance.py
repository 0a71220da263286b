"""The performance check of the monitoring core: NannyML per chunk, calibrated, as findings.

``check_performance(reference, window, data, settings)`` fits NannyML on the reference (the
model's own scores on data it did not train on, with labels), monitors the window (labels that
have arrived included), judges every chunk against thresholds calibrated on the reference
(``_calibrate``), classifies the window (concept drift...) and applies the configured rules
(floors, relative drops) to the window's realized metrics. The cron's performance step and
``glassbox monitor`` both call it.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from glassbox.monitoring._calibrate import PerformanceBaseline, calibrate, performance_baseline
from glassbox.monitoring._calibrate import score as score_metric
from glassbox.monitoring._concept import WindowVerdict, classify_window, estimator
from glassbox.monitoring._findings import Finding
from glassbox.monitoring._labels import LabelsCheck, check_labels
from glassbox.monitoring._nannyml import NannyMonitor
from glassbox.monitoring._results import MonitoringResult
from glassbox.monitoring._settings import DEFAULT_CHUNK_SIZE

if TYPE_CHECKING:
    import pandas as pd

    from glassbox.config import DataSettings
    from glassbox.monitoring._config import MonitoringSettings, PerformanceRule
    from glassbox.monitoring._settings import MonitorSettings

NANNYML_CLASSIFICATION = ("roc_auc", "f1", "precision", "recall", "specificity", "accuracy")
# NannyML's multivariate drift limits come from the spread over the reference chunks: the chunk
# size is capped so the reference makes at least this many (``glassbox init`` sizes it so too).
REFERENCE_CHUNKS = 3


@dataclass(frozen=True)
class PerformanceCheck:
    """What the performance check found on one window."""

    result: MonitoringResult
    verdict: WindowVerdict
    baseline: PerformanceBaseline
    realized: dict[str, float | None]  # each metric on the window's labelled rows
    labelled_rows: int
    findings: list[Finding]
    labels: LabelsCheck | None = None

    @property
    def metric(self) -> str:
        return self.verdict.metric


NANNYML_REGRESSION = ("mae", "mse", "rmse", "mape")


def _arrays(
    frame: pd.DataFrame, target: str, score: str, y_pred: str, *, regression: bool
) -> tuple[np.ndarray, ...]:
    """Labelled rows' target, score (probability; the prediction for regression), prediction."""
    import pandas as pd

    y = pd.to_numeric(frame[target], errors="coerce").to_numpy(dtype="float64")
    labelled = np.isfinite(y)
    s = pd.to_numeric(frame[score], errors="coerce").to_numpy(dtype="float64")[labelled]
    c = pd.to_numeric(frame[y_pred], errors="coerce").to_numpy(dtype="float64")[labelled]
    return (y[labelled] if regression else y[labelled].astype("int64")), s, c


def problem_type(settings: MonitoringSettings, target: pd.Series, prediction: pd.Series) -> str:
    """The configured problem type, or (auto) regression when neither the target nor the
    model's prediction is 0/1 (a bad label in a classifier's target is then reported as such)."""
    import pandas as pd

    configured = settings.performance.problem_type
    if configured != "auto":
        return configured
    for series in (target, prediction):
        if pd.to_numeric(series, errors="coerce").dropna().isin([0, 1]).all():
            return "classification_binary"
    return "regression"


def fitted_chunk_size(settings: MonitorSettings, reference_rows: int) -> int | None:
    """The rows per chunk: the configured size (default 5000), capped so the reference makes
    ``REFERENCE_CHUNKS`` chunks; None when chunks are periods (``chunk_period``)."""
    if settings.chunk_period is not None:
        return None
    configured = settings.chunk_size or DEFAULT_CHUNK_SIZE
    return max(1, min(configured, reference_rows // REFERENCE_CHUNKS))


@dataclass(frozen=True)
class PerformanceMonitor:
    """The performance check fitted on a reference (NannyML and the calibrated noise), ready
    to judge any number of windows: the cron fits it once per window, a benchmark once per
    reference (``fit_performance``)."""

    data: DataSettings
    settings: MonitoringSettings
    nannyml: MonitorSettings
    monitor: NannyMonitor
    baseline: PerformanceBaseline
    rules: tuple[PerformanceRule, ...]
    reference_labels: np.ndarray

    @property
    def regression(self) -> bool:
        return self.nannyml.regression

    @property
    def score_column(self) -> str:
        return self.nannyml.y_pred if self.regression else self.nannyml.y_pred_proba

    def check(
        self,
        window: pd.DataFrame,
        *,
        targets: pd.DataFrame | None = None,
        report_url: str | None = None,
    ) -> PerformanceCheck:
        """Judge ``window`` (its labels, or ``targets`` joined by id, may be partial)."""
        data, target = self.data, self.data.target_column
        result = calibrate(self.monitor.calculate(window, targets), self.baseline)
        verdict = classify_window(result, self.rules[0].metric)
        labelled = window
        if targets is not None and target not in window:
            joined = targets.loc[:, [data.id_column, target]].drop_duplicates(data.id_column)
            labelled = window.merge(joined, on=data.id_column, how="left")
        reported = (*self.nannyml.performance_metrics, *(("r2",) if self.regression else ()))
        realized: dict[str, float | None] = dict.fromkeys(reported)
        rows = 0
        if target in labelled:
            wy, ws, wc = _arrays(
                labelled, target, self.score_column, self.nannyml.y_pred, regression=self.regression
            )
            rows = int(wy.size)
            if rows >= self.nannyml.min_chunk_rows:
                realized = {m: score_metric(m, wy, ws, wc) for m in reported}
        findings = performance_findings(
            result, verdict, self.rules, realized, self.baseline, report_url=report_url
        )
        labels = None
        if target in labelled:
            labels = check_labels(
                self.reference_labels,
                labelled,
                target=target,
                timestamp=data.timestamp_column,
                arrival=self.settings.labels.arrival_column,
                calibration=self.settings.calibration,
            )
            findings += labels.findings
        return PerformanceCheck(result, verdict, self.baseline, realized, rows, findings, labels)


def fit_performance(
    reference: pd.DataFrame,
    data: DataSettings,
    settings: MonitoringSettings,
    *,
    chunk_size: int | None = None,
) -> PerformanceMonitor:
    """Fit the performance check on ``reference`` (the model's outputs on rows it did not
    train on, with labels). Chunks are ``chunk_size`` rows when given, else
    :func:`fitted_chunk_size` (or the configured period)."""
    problem = problem_type(
        settings, reference[data.target_column], reference[settings.nannyml.y_pred]
    )
    regression = problem == "regression"
    rules = settings.performance.rules_for(problem)
    wanted = [r.metric for r in rules]
    if not regression:
        wanted += settings.nannyml.performance_metrics
    supported = NANNYML_REGRESSION if regression else NANNYML_CLASSIFICATION
    size = chunk_size or fitted_chunk_size(settings.nannyml, len(reference))
    chunking = {"chunk_size": size, "chunk_period": None} if size else {}
    nannyml = settings.nannyml.model_copy(
        update={
            "performance_metrics": tuple(m for m in dict.fromkeys(wanted) if m in supported),
            "problem_type": problem,
            **chunking,
        }
    )
    with warnings.catch_warnings():  # few reference chunks: the calibration does not use them
        warnings.filterwarnings("ignore", "The resulting number of chunks is too low")
        monitor = NannyMonitor(data, nannyml).fit(reference)
    score_column = nannyml.y_pred if regression else nannyml.y_pred_proba
    y, s, c = _arrays(
        reference, data.target_column, score_column, nannyml.y_pred, regression=regression
    )
    baseline = performance_baseline(
        y,
        s,
        c,
        nannyml.performance_metrics,
        settings.calibration,
        estimated_centers=monitor.reference_estimates(),
    )
    return PerformanceMonitor(data, settings, nannyml, monitor, baseline, rules, y)


def check_performance(
    reference: pd.DataFrame,
    window: pd.DataFrame,
    data: DataSettings,
    settings: MonitoringSettings,
    *,
    targets: pd.DataFrame | None = None,
    report_url: str | None = None,
    chunk_size: int | None = None,
) -> PerformanceCheck:
    """Monitor ``window`` against ``reference`` (:func:`fit_performance`, then
    :meth:`PerformanceMonitor.check`); raises ``MonitoringInputError`` naming the frame and
    column when either breaks the contract."""
    fitted = fit_performance(reference, data, settings, chunk_size=chunk_size)
    return fitted.check(window, targets=targets, report_url=report_url)


def _rule_breach(
    rule: PerformanceRule, value: float | None, baseline: PerformanceBaseline
) -> str | None:
    """Why the window's realized ``value`` breaks ``rule`` (None: it does not)."""
    if value is None:
        return None
    higher = rule.higher_is_better
    worse = (lambda a, b: a < b) if higher else (lambda a, b: a > b)
    if rule.floor is not None and worse(value, rule.floor):
        return f"realized {rule.metric} {value:.4g} is worse than the floor {rule.floor:g}"
    noise = baseline.metrics.get(rule.metric)
    if rule.max_relative_drop is not None and noise is not None:
        sign = -1 if higher else 1
        bound = noise.reference * (1 + sign * rule.max_relative_drop)
        if worse(value, bound):
            return (
                f"realized {rule.metric} {value:.4g} is {rule.max_relative_drop:.0%} or more "
                f"worse than the reference {noise.reference:.4g}"
            )
    return None


def performance_findings(
    result: MonitoringResult,
    verdict: WindowVerdict,
    rules: tuple[PerformanceRule, ...],
    realized: dict[str, float | None],
    baseline: PerformanceBaseline,
    *,
    report_url: str | None = None,
) -> list[Finding]:
    """``estimated_performance`` and ``performance`` per rule metric, and ``concept_drift``
    (passing checks included, severity none)."""
    out: list[Finding] = []
    for rule in rules:
        m = rule.metric
        chunked = m in result.metrics  # r2: the window's realized value only
        est = result.estimated_drop_chunks(m) if chunked else ()
        real = result.realized_drop_chunks(m) if chunked else ()
        ref = baseline.metrics[m].reference if m in baseline.metrics else None
        common = {"feature": m, "metric": m, "report_url": report_url}
        out.append(
            Finding(
                check="estimated_performance",
                severity=("critical" if real else "warning") if est else "none",
                summary=f"{estimator(m)} estimated {m} worse than its calibrated threshold "
                f"in chunks {list(est)}"
                if est
                else f"estimated {m}: within the reference's noise",
                details={"chunks": len(est), "reference": ref},
                **common,
            )
        )
        breach = _rule_breach(rule, realized.get(m), baseline)
        if real:
            severity, summary = (
                "critical",
                (f"realized {m} worse than its calibrated threshold in chunks {list(real)}"),
            )
        elif breach:
            severity, summary = rule.severity, breach
        else:
            severity, summary = "none", f"realized {m}: ok"
        out.append(
            Finding(
                check="performance",
                severity=severity,
                summary=summary,
                value=realized.get(m),
                details={"chunks": len(real), "reference": ref, "window": realized.get(m)},
                **common,
            )
        )
    concept = verdict.kind == "concept_drift"
    out.append(
        Finding(
            check="concept_drift",
            severity="critical" if concept else "none",
            summary=verdict.reason[:4000] if concept else f"no concept drift ({verdict.kind})",
            metric=verdict.metric,
            report_url=report_url,
        )
    )
    return out
