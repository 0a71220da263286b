"""An OpenTelemetry span per request, exported over OTLP/HTTP when the standard variable
``OTEL_EXPORTER_OTLP_ENDPOINT`` (or ``..._TRACES_ENDPOINT``) is set; nothing otherwise.

A W3C ``traceparent`` header makes the span a child of the caller's. Attributes carry what
joins the span to the audit and the access log: prediction ids, audit hashes, the model
version and the micro-batch size. Spans are batched and exported by the SDK's background
thread, never on the request path.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

log = logging.getLogger("glassbox.serving")

ENDPOINT_ENVS = ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT")
# ids/hashes listed on one span: a 1000-row request lists its first 32 (``glassbox.rows`` has
# the count; its access log line lists them all)
_MAX_LISTED = 32


class Tracing:
    """Spans for requests; disabled (zero cost) without an OTLP endpoint."""

    def __init__(self, environ: Mapping[str, str], resource: Mapping[str, str]) -> None:
        self.enabled = any(environ.get(name) for name in ENDPOINT_ENVS)
        self._provider: Any = None
        self._tracer: Any = None
        if not self.enabled:
            return
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor

        attributes = {"service.name": "glassbox-serving", **resource}
        self._provider = TracerProvider(resource=Resource.create(attributes))
        self._provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
        self._tracer = self._provider.get_tracer("glassbox.serving")

    def record(
        self,
        name: str,
        span_ns: tuple[int, int],
        headers: Mapping[str, str],
        attributes: dict[str, Any],
        error: str | None = None,
    ) -> tuple[str, str]:
        """Emit one finished span; (trace id, span id) as hex ('' when tracing is off)."""
        if not self.enabled:
            return "", ""
        from opentelemetry.trace import SpanKind, Status, StatusCode
        from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

        context = None
        if "traceparent" in headers:
            context = TraceContextTextMapPropagator().extract(
                {"traceparent": headers["traceparent"]}
            )
        for key in ("glassbox.prediction_ids", "glassbox.audit_hashes"):
            if isinstance(attributes.get(key), list):
                attributes[key] = attributes[key][:_MAX_LISTED]
        span = self._tracer.start_span(
            name,
            context=context,
            kind=SpanKind.SERVER,
            start_time=span_ns[0],
            attributes=attributes,
        )
        if error is not None:
            span.set_status(Status(StatusCode.ERROR, error))
        span.end(end_time=span_ns[1])
        ctx = span.get_span_context()
        return format(ctx.trace_id, "032x"), format(ctx.span_id, "016x")

    def shutdown(self) -> None:
        if self._provider is not None:
            try:
                self._provider.shutdown()
            except Exception as exc:  # exporter unreachable at exit: spans are best effort
                log.warning("tracing: shutdown failed: %s", exc)
