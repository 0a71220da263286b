"""Every metric Glassbox emits itself: name, type, help and labels, declared once.

All of them are gauges. They are pushed to a Prometheus Pushgateway (or written for the
node-exporter textfile collector) once per run from a fresh registry, and a push replaces the
group's previous values, so a value describes *the last run* of a window or a pipeline; a
counter would restart at each push and mean nothing there. Alert rules and the Grafana
dashboard under ``k8s/prometheus/`` use only these names (a test checks it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry, Gauge

Group = Literal["window", "pipeline"]


@dataclass(frozen=True)
class MetricSpec:
    """One metric family: what the exposition format calls its name, TYPE, HELP and labels."""

    name: str
    help: str
    labels: tuple[str, ...]
    group: Group  # the push group that carries it: one monitoring window, or one pipeline run
    kind: Literal["gauge"] = "gauge"

    def register(self, registry: CollectorRegistry) -> Gauge:
        from prometheus_client import Gauge

        return Gauge(self.name, self.help, list(self.labels), registry=registry)


def _w(name: str, help_: str, *labels: str) -> MetricSpec:
    return MetricSpec(name, help_, ("model", *labels), "window")


def _p(name: str, help_: str, *labels: str) -> MetricSpec:
    return MetricSpec(name, help_, ("pipeline", *labels), "pipeline")


CATALOGUE: tuple[MetricSpec, ...] = (
    # --- one monitoring window (pushed by the cron's alert step) ---
    _w("glassbox_drift_psi", "Population stability index of a column, last window.",
       "feature", "kind"),
    _w("glassbox_drift_statistic", "A drift statistic of a column (js_distance, ks_statistic, "
       "wasserstein_normalized, p_value_adjusted), last window.", "feature", "kind", "statistic"),
    _w("glassbox_drift_severity", "Drift severity of a column, last window: 0 none, "
       "1 warning, 2 critical.", "feature", "kind"),
    _w("glassbox_drift_features_flagged", "Columns with drift severity warning or above, "
       "last window."),
    _w("glassbox_performance_estimated", "CBPE-estimated performance, last chunk of the "
       "last window.", "metric"),
    _w("glassbox_performance_realized", "Realized performance (targets arrived), last chunk "
       "with a value in the last window.", "metric"),
    _w("glassbox_performance_lower_threshold", "Lower threshold of a performance metric, "
       "last window.", "metric", "kind"),
    _w("glassbox_performance_dropped_chunks", "Chunks of the last window whose performance "
       "fell below the lower threshold.", "metric", "kind"),
    _w("glassbox_performance_target_coverage", "Share of the last window's predictions whose "
       "target has arrived (0..1)."),
    _w("glassbox_alerts_sent", "Alerts sent by the last window's run, by check and severity.",
       "check", "severity"),
    _w("glassbox_alert_delivery_pending", "Outbox rows still undelivered after the last "
       "window's run."),
    _w("glassbox_alert_delivery_failures", "Alert deliveries that failed during the last "
       "window's run (retryable and permanent)."),
    _w("glassbox_alert_delivery_permanent_failures", "Alert deliveries rejected for good "
       "(4xx other than 429) during the last window's run."),
    _w("glassbox_alert_time_to_resolve_seconds", "Time from an alert's first notification to "
       "its recovery, for the alerts the last window's run resolved (MTTR per dedup key).",
       "check", "feature", "dedup_key"),
    _w("glassbox_monitor_severity", "Worst finding of the last window: 0 none, 1 warning, "
       "2 critical."),
    _w("glassbox_monitor_window_rows", "Rows in the last monitoring window."),
    _w("glassbox_monitor_last_success_timestamp_seconds", "Unix time at which the last "
       "monitoring window finished (alerts routed)."),
    # --- one pipeline run (pushed by the workflow's exit handler) ---
    _p("glassbox_pipeline_last_run_timestamp_seconds", "Unix time at which the last run of "
       "the pipeline ended."),
    _p("glassbox_pipeline_last_run_duration_seconds", "Wall-clock duration of the last run "
       "of the pipeline."),
    _p("glassbox_pipeline_last_run_failed", "1 if the last run of the pipeline did not "
       "succeed, else 0."),
    _p("glassbox_pipeline_last_run_step_failures", "Failed nodes of a step in the last run "
       "of the pipeline.", "step"),
    _p("glassbox_pipeline_last_run_step_duration_seconds", "Duration of a step in the last "
       "run of the pipeline (longest item of a fan-out).", "step"),
)  # fmt: skip

BY_NAME: dict[str, MetricSpec] = {spec.name: spec for spec in CATALOGUE}


def metric_names(group: Group | None = None) -> frozenset[str]:
    """The names Glassbox emits (all of them, or one push group's)."""
    return frozenset(s.name for s in CATALOGUE if group is None or s.group == group)


def new_registry(group: Group) -> tuple[CollectorRegistry, dict[str, Gauge]]:
    """A fresh registry holding every metric of ``group`` (nothing else: no process metrics)."""
    from prometheus_client import CollectorRegistry

    registry = CollectorRegistry(auto_describe=True)
    gauges = {s.name: s.register(registry) for s in CATALOGUE if s.group == group}
    return registry, gauges
