"""One monitoring window as gauges: drift per column, performance, alerts and delivery."""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from glassbox.observability._catalogue import new_registry
from glassbox.observability._errors import ObservabilityError

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry, Gauge

    from glassbox.alerts import SendReport
    from glassbox.drift import DriftResult
    from glassbox.monitoring import MonitoringResult

SEVERITY = {"none": 0, "warning": 1, "critical": 2}
DRIFT_STATISTICS = ("js_distance", "ks_statistic", "wasserstein_normalized", "p_value_adjusted")
PERFORMANCE_KINDS = ("estimated", "realized")


def _drift(value: DriftResult | Mapping[str, Any]) -> DriftResult:
    from glassbox.drift import DriftResult

    if isinstance(value, DriftResult):
        return value
    if not isinstance(value, Mapping):
        raise ObservabilityError(
            f"drift: expected a DriftResult or its to_dict() mapping, got {type(value).__name__}"
        )
    try:
        return DriftResult.from_dict(dict(value))
    except KeyError as exc:
        raise ObservabilityError(f"drift: missing field {exc.args[0]!r} in the result") from None
    except (TypeError, ValueError) as exc:
        raise ObservabilityError(f"drift: expected DriftResult.to_dict() fields ({exc})") from None


def _finite(value: float | None) -> bool:
    return value is not None and math.isfinite(value)


def _set_drift(g: dict[str, Gauge], model: str, result: DriftResult) -> None:
    for f in result.features:
        if f.severity not in SEVERITY:
            raise ObservabilityError(
                f"drift: column {f.name!r} has severity {f.severity!r}; "
                f"expected one of {', '.join(SEVERITY)}"
            )
        g["glassbox_drift_severity"].labels(model, f.name, f.kind).set(SEVERITY[f.severity])
        if _finite(f.psi):
            g["glassbox_drift_psi"].labels(model, f.name, f.kind).set(f.psi)
        for stat in DRIFT_STATISTICS:
            value = f.statistic(stat)
            if _finite(value):
                g["glassbox_drift_statistic"].labels(model, f.name, f.kind, stat).set(value)
    g["glassbox_drift_features_flagged"].labels(model).set(len(result.flagged()))


def _performance_mapping(values: Mapping[str, float]) -> dict[tuple[str, str], float]:
    """``{"estimated.roc_auc": 0.8, "realized.roc_auc": 0.7}`` (the performance step's window
    metrics) → {(kind, metric): value}."""
    out: dict[tuple[str, str], float] = {}
    for key, value in values.items():
        kind, _, metric = str(key).partition(".")
        if kind not in PERFORMANCE_KINDS or not metric:
            raise ObservabilityError(
                f"performance: key {key!r} is not '<estimated|realized>.<metric>'"
            )
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ObservabilityError(f"performance: {key!r} must be a number, got {value!r}")
        if math.isfinite(value):
            out[(kind, metric)] = float(value)
    return out


def _set_monitoring(g: dict[str, Gauge], model: str, result: MonitoringResult) -> None:
    g["glassbox_performance_target_coverage"].labels(model).set(result.targets.coverage)
    for metric in result.metrics:
        for kind in PERFORMANCE_KINDS:
            values = [
                getattr(c, f"{kind}_metric")(metric) for c in result.chunks
            ]  # one PerformanceValue per chunk, in chunk order
            known = [v for v in values if _finite(v.value)]
            if known:
                g[f"glassbox_performance_{kind}"].labels(model, metric).set(known[-1].value)
                if _finite(known[-1].lower_threshold):
                    g["glassbox_performance_lower_threshold"].labels(model, metric, kind).set(
                        known[-1].lower_threshold
                    )
            dropped = sum(1 for v in values if v.dropped)
            g["glassbox_performance_dropped_chunks"].labels(model, metric, kind).set(dropped)


def _set_performance(
    g: dict[str, Gauge], model: str, performance: MonitoringResult | Mapping[str, float]
) -> None:
    if isinstance(performance, Mapping):
        for (kind, metric), value in _performance_mapping(performance).items():
            g[f"glassbox_performance_{kind}"].labels(model, metric).set(value)
        return
    from glassbox.monitoring import MonitoringResult

    if not isinstance(performance, MonitoringResult):
        raise ObservabilityError(
            "performance: expected a MonitoringResult or a mapping like "
            f"{{'estimated.roc_auc': 0.8}}, got {type(performance).__name__}"
        )
    _set_monitoring(g, model, performance)


def _set_alerts(g: dict[str, Gauge], model: str, report: SendReport) -> None:
    sent = Counter((d.alert.check, d.alert.severity.value) for d in report.sent)
    for (check, severity), count in sorted(sent.items()):
        g["glassbox_alerts_sent"].labels(model, check, severity).set(count)
    for d in report.resolved:
        seconds = d.resolved_after.total_seconds() if d.resolved_after is not None else 0.0
        g["glassbox_alert_time_to_resolve_seconds"].labels(
            model, d.alert.check, d.alert.feature or "", d.alert.dedup_key
        ).set(seconds)
    worst = max((d.alert.severity.rank for d in report.decisions), default=0)
    g["glassbox_monitor_severity"].labels(model).set(worst)
    flush = report.flush
    g["glassbox_alert_delivery_pending"].labels(model).set(flush.pending)
    g["glassbox_alert_delivery_failures"].labels(model).set(len(flush.failures))
    g["glassbox_alert_delivery_permanent_failures"].labels(model).set(len(flush.failed))


def _count(value: float) -> int:
    """A row count, also as MLflow returns it (``1234.0``)."""
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    if not ok or not math.isfinite(value) or value < 0 or not float(value).is_integer():
        raise ObservabilityError(f"window_rows: expected an integer >= 0, got {value!r}")
    return int(value)


def window_registry(
    model: str,
    *,
    drift: DriftResult | Mapping[str, Any] | None = None,
    performance: MonitoringResult | Mapping[str, float] | None = None,
    alerts: SendReport | None = None,
    window_rows: float | None = None,
    finished_at: float | None = None,
) -> CollectorRegistry:
    """A fresh registry with the window's gauges; parts that are ``None`` are left out (a
    skipped check), except the success timestamp, which is always set."""
    if not isinstance(model, str) or not model.strip():
        raise ObservabilityError(f"model: expected a non-empty name, got {model!r}")
    registry, gauges = new_registry("window")
    if drift is not None:
        _set_drift(gauges, model, _drift(drift))
    if performance is not None:
        _set_performance(gauges, model, performance)
    if alerts is not None:
        _set_alerts(gauges, model, alerts)
    if window_rows is not None:
        gauges["glassbox_monitor_window_rows"].labels(model).set(_count(window_rows))
    stamp = time.time() if finished_at is None else finished_at
    gauges["glassbox_monitor_last_success_timestamp_seconds"].labels(model).set(stamp)
    return registry
