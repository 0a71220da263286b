"""Labels: target (prior) drift once labels arrive, and feedback latency.

Target drift compares the labels that arrived in the window with the reference's: for a binary
target the share of positives (two-proportion z-test at the check's false-alarm rate, and a
change of at least ``MIN_SHIFT`` = 1 point), for a numeric target the two-sample KS statistic
against its null. Feedback latency is the time from prediction to label arrival, when the
targets carry their arrival time (``monitoring.labels.arrival_column``): its median, 90th
percentile and maximum over the window's labelled rows, as metrics.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from glassbox.monitoring._findings import Finding

if TYPE_CHECKING:
    import pandas as pd

    from glassbox.drift import Calibration

MIN_SHIFT = 0.01  # a prior moving by less than one point is not worth an alert
MIN_LABELS = 100


@dataclass(frozen=True)
class LabelsCheck:
    findings: list[Finding]
    metrics: dict[str, float]


def _binary(values: np.ndarray) -> bool:
    return bool(np.isin(values, (0, 1)).all())


def target_drift(
    reference: np.ndarray, window: np.ndarray, target: str, calibration: Calibration
) -> Finding:
    """The ``target_drift`` finding of the window's arrived labels against the reference's."""
    from scipy.stats import norm

    from glassbox.drift import ks_limit

    rate = calibration.false_alarm_rate
    common = {"check": "target_drift", "feature": target}
    if window.size < MIN_LABELS:
        return Finding(
            severity="none",
            summary=f"{target}: {window.size} labels arrived (< {MIN_LABELS}): not judged",
            **common,
        )
    if _binary(reference) and _binary(window):
        p_ref, p_win = float(reference.mean()), float(window.mean())
        pooled = (reference.sum() + window.sum()) / (reference.size + window.size)
        se = math.sqrt(max(pooled * (1 - pooled), 1e-12) * (1 / reference.size + 1 / window.size))
        limit = max(MIN_SHIFT, float(norm.isf(rate / 2)) * se)
        moved = abs(p_win - p_ref) > limit
        return Finding(
            severity="warning" if moved else "none",
            summary=f"{target}: positive share {p_win:.3g} vs {p_ref:.3g} in the reference"
            + (f" (moved by more than {limit:.3g})" if moved else ""),
            metric="positive_share",
            value=p_win,
            threshold=limit,
            details={"reference_share": p_ref, "labels": int(window.size)},
            **common,
        )
    from scipy.stats import ks_2samp

    ks = float(ks_2samp(reference, window).statistic)
    limit = max(0.05, ks_limit(reference.size, window.size, rate))
    return Finding(
        severity="warning" if ks > limit else "none",
        summary=f"{target}: KS {ks:.3g} against the reference's targets"
        + (f" (> {limit:.3g})" if ks > limit else ""),
        metric="ks_statistic",
        value=ks,
        threshold=limit,
        details={"reference_mean": float(reference.mean()), "window_mean": float(window.mean())},
        **common,
    )


def latency(
    window: pd.DataFrame, timestamp: str | None, arrival: str | None, target: str
) -> dict[str, float]:
    """Feedback latency metrics (seconds) over the labelled rows; {} without arrival times (or
    without prediction timestamps)."""
    import pandas as pd

    if arrival is None or timestamp is None or arrival not in window or timestamp not in window:
        return {}
    labelled = window[window[target].notna()]
    if labelled.empty:
        return {}
    predicted = pd.to_datetime(labelled[timestamp], utc=True, errors="coerce")
    arrived = pd.to_datetime(labelled[arrival], utc=True, errors="coerce")
    seconds = (arrived - predicted).dt.total_seconds().dropna().to_numpy()
    if seconds.size == 0:
        return {}
    return {
        "labels.latency_seconds.p50": float(np.median(seconds)),
        "labels.latency_seconds.p90": float(np.quantile(seconds, 0.9)),
        "labels.latency_seconds.max": float(seconds.max()),
    }


def check_labels(
    reference: np.ndarray,
    window: pd.DataFrame,
    *,
    target: str,
    timestamp: str | None,
    arrival: str | None,
    calibration: Calibration,
) -> LabelsCheck:
    """Target drift and feedback latency of a window whose ``target`` column holds the labels
    that arrived (NaN: not yet)."""
    import pandas as pd

    values = pd.to_numeric(window[target], errors="coerce").to_numpy(dtype="float64")
    arrived = values[np.isfinite(values)]
    metrics = {
        "labels.arrived": float(arrived.size),
        "labels.coverage": float(arrived.size / len(window)) if len(window) else 0.0,
        **latency(window, timestamp, arrival, target),
    }
    finding = target_drift(reference, arrived, target, calibration)
    if finding.value is not None:
        metrics[f"labels.{finding.metric}"] = finding.value
    return LabelsCheck(findings=[finding], metrics=metrics)
