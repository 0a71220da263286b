"""Every metric Glassbox emits itself: name, type, help and labels, declared once.

Two kinds of source. The monitoring cron and the pipelines' exit handlers push *gauges* to a
Prometheus Pushgateway (or write them for the node-exporter textfile collector) once per run
from a fresh registry; a push replaces the group's previous values, so a value describes *the
last run* of a window or a pipeline (a counter would restart at each push and mean nothing
there). The online server (``glassbox serve``, group ``serving``) is scraped: its counters,
histograms and gauges live as long as the process. Alert rules and the Grafana dashboard under
``k8s/prometheus/`` use only these names (a test checks it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry

Group = Literal["window", "pipeline", "serving"]
Kind = Literal["gauge", "counter", "histogram"]

# Request latency buckets around the serving SLOs (p95 100 ms, p99 500 ms), in seconds.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
                   10.0)  # fmt: skip


@dataclass(frozen=True)
class MetricSpec:
    """One metric family: what the exposition format calls its name, TYPE, HELP and labels."""

    name: str
    help: str
    labels: tuple[str, ...]
    group: Group  # the push group that carries it, or the serving process that exposes it
    kind: Kind = "gauge"
    buckets: tuple[float, ...] = ()
    # Exposed by a standard prometheus_client collector the process registers, not by us.
    external: bool = False

    @property
    def series(self) -> frozenset[str]:
        """The sample names a PromQL query can use (a histogram's _bucket, _sum, _count)."""
        if self.kind == "histogram":
            return frozenset(f"{self.name}{s}" for s in ("_bucket", "_sum", "_count"))
        return frozenset({self.name})

    def register(self, registry: CollectorRegistry) -> Any:
        from prometheus_client import Counter, Gauge, Histogram

        if self.kind == "counter":
            return Counter(self.name, self.help, list(self.labels), registry=registry)
        if self.kind == "histogram":
            return Histogram(
                self.name, self.help, list(self.labels), registry=registry, buckets=self.buckets
            )
        return Gauge(self.name, self.help, list(self.labels), registry=registry)


def _w(name: str, help_: str, *labels: str) -> MetricSpec:
    return MetricSpec(name, help_, ("model", *labels), "window")


def _p(name: str, help_: str, *labels: str) -> MetricSpec:
    return MetricSpec(name, help_, ("pipeline", *labels), "pipeline")


MODEL_LABELS = ("model_name", "model_version")


def _s(
    name: str, kind: Kind, help_: str, *labels: str, buckets: tuple[float, ...] = ()
) -> MetricSpec:
    return MetricSpec(name, help_, (*MODEL_LABELS, *labels), "serving", kind, buckets)


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
    # --- the online server (glassbox serve), scraped ---
    _s("glassbox_serving_requests_total", "counter", "HTTP requests by endpoint and status "
       "code.", "endpoint", "code"),
    _s("glassbox_serving_request_duration_seconds", "histogram", "Time from request received "
       "to response ready (audit durable), by endpoint.", "endpoint", buckets=LATENCY_BUCKETS),
    _s("glassbox_serving_predictions_total", "counter", "Predictions (rows) served or "
       "monitored, by status: ok, or error (failed on the server side).", "status"),
    _s("glassbox_serving_errors_total", "counter", "Failed requests by error type: "
       "invalid_input, model_error, audit_error, overloaded, not_ready, not_found, "
       "shutting_down.", "type"),
    _s("glassbox_serving_in_flight_requests", "gauge", "Requests received and not yet "
       "answered."),
    _s("glassbox_serving_batch_size", "histogram", "Rows per model call (micro-batch).",
       buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024)),
    _s("glassbox_serving_audit_write_seconds", "histogram", "Time for a micro-batch's audit "
       "records to become durable (write + group-commit fdatasync).", buckets=LATENCY_BUCKETS),
    _s("glassbox_serving_drift_psi", "gauge", "Population stability index of a column over "
       "the live window against the model's reference profile (NaN while the window is below "
       "its minimum rows); kind: feature or prediction.", "feature", "kind"),
    _s("glassbox_serving_drift_severity", "gauge", "Live drift severity of a column: 0 none, "
       "1 warning, 2 critical (0 while the window is below its minimum rows).", "feature",
       "kind"),
    _s("glassbox_serving_drift_window_rows", "gauge", "Rows in the live drift window."),
    _s("glassbox_serving_prediction_score", "histogram", "Predicted probability of the "
       "positive class.", buckets=tuple(round(0.1 * i, 1) for i in range(1, 11))),
    _s("glassbox_serving_reported_latency_seconds", "histogram", "Model latency reported by "
       "clients of /monitor (a model served elsewhere).", buckets=LATENCY_BUCKETS),
    _s("glassbox_serving_throughput_bound_rps", "gauge", "Configured bounds of the /predict "
       "request rate over all replicas (serving.slo.throughput_min_rps / _max_rps), for the "
       "throughput alert; absent when not configured.", "bound"),
    _s("glassbox_serving_model_info", "gauge", "1 for the model version being served.",
       "fingerprint", "alias"),
    _s("glassbox_serving_model_switches_total", "counter", "Times the server switched to "
       "another version after its alias moved (labels: the version switched to)."),
    _s("glassbox_serving_audit_segments_logged_total", "counter", "Audit segments logged to "
       "the serving run in MLflow."),
    _s("glassbox_serving_audit_segments_pending", "gauge", "Closed audit segments waiting to "
       "be logged to MLflow (MLflow unreachable when it grows)."),
    _s("glassbox_serving_shadow_records_total", "counter", "Shadow records written: "
       "predictions the challenger (labels: its version) also scored, by status (ok, error).",
       "status"),
    _s("glassbox_serving_shadow_dropped_total", "counter", "Predictions not shadowed because "
       "the challenger's queue was full (labels: the challenger's version), by reason.",
       "reason"),
    _s("glassbox_serving_shadow_queue_rows", "gauge", "Rows waiting for the challenger "
       "(serving.shadow.max_queue_rows bounds it)."),
    _s("glassbox_serving_triggers_fired_total", "counter", "delivery.triggers rules fired by "
       "the server on its live metrics, by action (alert, rollback, scale_down).", "action"),
    # prometheus_client's process collector, on the server's /metrics (CPU and memory panels)
    MetricSpec("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.",
               (), "serving", "counter", external=True),
    MetricSpec("process_resident_memory_bytes", "Resident memory size in bytes.", (),
               "serving", "gauge", external=True),
)  # fmt: skip

BY_NAME: dict[str, MetricSpec] = {spec.name: spec for spec in CATALOGUE}


def metric_names(group: Group | None = None) -> frozenset[str]:
    """The names Glassbox emits (all of them, or one push group's)."""
    return frozenset(s.name for s in CATALOGUE if group is None or s.group == group)


def series_names(group: Group | None = None) -> frozenset[str]:
    """The sample names a query can use: metric names, histograms' _bucket/_sum/_count."""
    return frozenset().union(*(s.series for s in CATALOGUE if group is None or s.group == group))


def new_registry(group: Group) -> tuple[CollectorRegistry, dict[str, Any]]:
    """A fresh registry holding every metric of ``group`` (nothing else: no process metrics)."""
    from prometheus_client import CollectorRegistry

    registry = CollectorRegistry(auto_describe=True)
    gauges = {s.name: s.register(registry) for s in CATALOGUE if s.group == group}
    return registry, gauges
