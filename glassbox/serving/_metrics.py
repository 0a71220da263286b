"""The server's Prometheus metrics: the ``serving`` group of glassbox.observability's catalogue,
in one registry (plus process CPU/memory), labelled with the served model's name and version."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from glassbox.observability import CATALOGUE

if TYPE_CHECKING:
    from glassbox.serving._drift_window import LiveDrift

SEVERITY = {"none": 0, "warning": 1, "critical": 2}


class ServingMetrics:
    """Registry + helpers; children are cached per (model name, version)."""

    def __init__(self) -> None:
        from prometheus_client import (
            CollectorRegistry,
            GCCollector,
            PlatformCollector,
            ProcessCollector,
            disable_created_metrics,
        )

        disable_created_metrics()
        self.registry = CollectorRegistry(auto_describe=True)
        ProcessCollector(registry=self.registry)
        PlatformCollector(registry=self.registry)
        GCCollector(registry=self.registry)
        self.families: dict[str, Any] = {
            spec.name: spec.register(self.registry)
            for spec in CATALOGUE
            if spec.group == "serving" and not spec.external
        }
        self.labels: tuple[str, str] = ("", "")
        self._cache: dict[tuple[str, ...], Any] = {}
        self._info: tuple[str, ...] | None = None

    def child(self, family: str, *extra: str, model: tuple[str, str] | None = None) -> Any:
        key = (family, *(model or self.labels), *extra)
        found = self._cache.get(key)
        if found is None:
            found = self.families[family].labels(*key[1:])
            self._cache[key] = found
        return found

    def set_model(self, name: str, version: str, fingerprint: str, alias: str | None) -> None:
        """Label what follows with this model; its info gauge 1, the previous one's 0."""
        info = self.families["glassbox_serving_model_info"]
        if self._info is not None:
            info.labels(*self._info).set(0)
        self._info = (name, version, fingerprint, alias or "")
        self.labels = (name, version)
        info.labels(*self._info).set(1)

    def bounds(self, low: float | None, high: float | None) -> None:
        """Export the configured throughput bounds (for the Prometheus throughput alert)."""
        for bound, value in (("min", low), ("max", high)):
            if value is not None:
                self.child("glassbox_serving_throughput_bound_rps", bound).set(value)

    def request(
        self,
        endpoint: str,
        code: int,
        seconds: float | None,
        model: tuple[str, str] | None = None,
    ) -> None:
        """One answered request (labelled with the version that answered it, when one did)."""
        self.child("glassbox_serving_requests_total", endpoint, str(code), model=model).inc()
        if seconds is not None:
            self.child("glassbox_serving_request_duration_seconds", endpoint, model=model).observe(
                seconds
            )

    def error(self, error_type: str, model: tuple[str, str] | None = None) -> None:
        self.child("glassbox_serving_errors_total", error_type, model=model).inc()

    def predictions(self, status: str, rows: int, model: tuple[str, str] | None = None) -> None:
        self.child("glassbox_serving_predictions_total", status, model=model).inc(rows)

    def batch(self, model: tuple[str, str], rows: int, proba: np.ndarray) -> None:
        self.child("glassbox_serving_batch_size", model=model).observe(rows)
        self.observe_scores(model, proba)

    def observe_scores(self, model: tuple[str, str], proba: np.ndarray) -> None:
        histogram = self.child("glassbox_serving_prediction_score", model=model)
        for value in proba.tolist():
            histogram.observe(value)

    def audit_write(self, model: tuple[str, str], seconds: float) -> None:
        self.child("glassbox_serving_audit_write_seconds", model=model).observe(seconds)

    def reported_latency(self, seconds: np.ndarray) -> None:
        histogram = self.child("glassbox_serving_reported_latency_seconds")
        for value in seconds.tolist():
            histogram.observe(value)

    def drift(self, live: LiveDrift) -> None:
        self.child("glassbox_serving_drift_window_rows").set(live.rows)
        if live.result is None:
            return
        for feature in live.result.features:
            graded = live.graded and math.isfinite(feature.psi)
            psi = feature.psi if graded else float("nan")
            self.child("glassbox_serving_drift_psi", feature.name, feature.kind).set(psi)
            severity = SEVERITY[feature.severity] if live.graded else 0
            self.child("glassbox_serving_drift_severity", feature.name, feature.kind).set(severity)

    def switched(self, name: str, version: str) -> None:
        self.child("glassbox_serving_model_switches_total", model=(name, version)).inc()

    def segments(self, logged: int = 0, pending: int | None = None) -> None:
        if logged:
            self.child("glassbox_serving_audit_segments_logged_total").inc(logged)
        if pending is not None:
            self.child("glassbox_serving_audit_segments_pending").set(pending)

    def shadow_records(self, challenger: tuple[str, str], status: str, rows: int) -> None:
        self.child("glassbox_serving_shadow_records_total", status, model=challenger).inc(rows)

    def shadow_dropped(self, challenger: tuple[str, str], reason: str, rows: int) -> None:
        self.child("glassbox_serving_shadow_dropped_total", reason, model=challenger).inc(rows)

    def shadow_queue(self, rows: int) -> None:
        self.child("glassbox_serving_shadow_queue_rows").set(rows)

    def trigger_fired(self, action: str) -> None:
        self.child("glassbox_serving_triggers_fired_total", action).inc()

    def exposition(self) -> bytes:
        from prometheus_client import generate_latest

        return bytes(generate_latest(self.registry))
