"""Prometheus metrics of Glassbox: one catalogue, pushed once per monitoring window and per
pipeline run.

At the end of the monitoring cron's alert step::

    publish_window("car-loan-default", drift=drift_result, performance=nannyml_result,
                   alerts=send_report, window_rows=12_345)
    # or, from the findings URIs the step receives: publish_window(model, findings=..., ...)

and in a workflow's exit handler::

    publish_pipeline("monitoring", status="Failed", duration_seconds=812.0,
                     failures=workflow_failures_json, step_durations={"drift": 95.2})

Each call fills a fresh ``CollectorRegistry`` and sends it where the environment says:
``PROMETHEUS_PUSHGATEWAY_URL`` (pushed with job ``glassbox-monitoring`` + grouping key
``model``, or job ``glassbox-pipelines`` + ``pipeline``, replacing that group's last values)
and/or ``GLASSBOX_METRICS_FILE`` (node-exporter textfile: ``glassbox.prom`` becomes
``glassbox-monitoring-<model>.prom`` / ``glassbox-pipelines-<pipeline>.prom`` beside it).
With neither set nothing is sent; the registry is returned either way. Alert rules, their
promtool tests and a Grafana dashboard live in ``k8s/prometheus/``. The online server's metrics
(group ``serving``: counters, histograms and gauges it exposes on ``/metrics``) are declared in
the same catalogue and registered by ``glassbox.serving``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from glassbox.observability._argo import ARGO_PREFIX, argo_metric_names
from glassbox.observability._catalogue import (
    BY_NAME,
    CATALOGUE,
    LATENCY_BUCKETS,
    MetricSpec,
    metric_names,
    series_names,
)
from glassbox.observability._errors import ObservabilityError
from glassbox.observability._pipeline import (
    STATUSES,
    parse_failures,
    pipeline_registry,
    step_durations,
)
from glassbox.observability._publish import (
    FILE_ENV,
    PUSHGATEWAY_ENV,
    TIMEOUT_ENV,
    deliver,
    log,
    textfile_path,
)
from glassbox.observability._sources import WindowResults, window_results
from glassbox.observability._window import window_registry

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry

    from glassbox.alerts import SendReport
    from glassbox.drift import DriftResult
    from glassbox.monitoring import MonitoringResult

WINDOW_JOB = "glassbox-monitoring"
PIPELINE_JOB = "glassbox-pipelines"


def publish_window(
    model: str,
    *,
    drift: DriftResult | Mapping[str, Any] | None = None,
    performance: MonitoringResult | Mapping[str, float] | None = None,
    alerts: SendReport | None = None,
    window_rows: float | None = None,
    findings: Mapping[str, str] | None = None,
    finished_at: float | None = None,
    environ: Mapping[str, str] | None = None,
    strict: bool = False,
) -> CollectorRegistry:
    """Metrics of one processed monitoring window of ``model`` (see :func:`window_registry`),
    published per the environment.

    ``findings`` (the alert step's ``{"drift": uri, "performance": uri, ...}``) loads the drift
    and NannyML results the check steps logged (:func:`window_results`) when ``drift`` /
    ``performance`` are not given. Problems loading them or delivering the metrics are logged
    and the rest is still published; ``strict`` raises them instead."""
    if findings is not None and (drift is None or performance is None):
        try:
            found = window_results(findings)
        except ObservabilityError as exc:
            if strict:
                raise
            log.warning("window results not loaded: %s", exc)
        else:
            drift = found.drift if drift is None else drift
            performance = found.performance if performance is None else performance
    registry = window_registry(
        model,
        drift=drift,
        performance=performance,
        alerts=alerts,
        window_rows=window_rows,
        finished_at=finished_at,
    )
    deliver(registry, job=WINDOW_JOB, grouping_key={"model": model}, environ=environ, strict=strict)
    return registry


def publish_pipeline(
    pipeline: str,
    *,
    status: str,
    duration_seconds: float | None = None,
    failures: str | Sequence[Mapping[str, Any]] | None = None,
    step_durations: Mapping[str, float] | None = None,
    finished_at: float | None = None,
    environ: Mapping[str, str] | None = None,
    strict: bool = False,
) -> CollectorRegistry:
    """Metrics of one finished run of ``pipeline`` (``status`` = ``{{workflow.status}}``,
    ``failures`` = ``{{workflow.failures}}``), published per the environment."""
    registry = pipeline_registry(
        pipeline,
        status=status,
        duration_seconds=duration_seconds,
        failures=failures,
        step_durations=step_durations,
        finished_at=finished_at,
    )
    deliver(
        registry,
        job=PIPELINE_JOB,
        grouping_key={"pipeline": pipeline},
        environ=environ,
        strict=strict,
    )
    return registry


__all__ = [
    "ARGO_PREFIX",
    "BY_NAME",
    "CATALOGUE",
    "FILE_ENV",
    "LATENCY_BUCKETS",
    "PIPELINE_JOB",
    "PUSHGATEWAY_ENV",
    "STATUSES",
    "TIMEOUT_ENV",
    "WINDOW_JOB",
    "MetricSpec",
    "ObservabilityError",
    "WindowResults",
    "argo_metric_names",
    "deliver",
    "metric_names",
    "parse_failures",
    "pipeline_registry",
    "publish_pipeline",
    "publish_window",
    "series_names",
    "step_durations",
    "textfile_path",
    "window_registry",
    "window_results",
]
