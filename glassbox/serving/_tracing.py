"""An OpenTelemetry span per request, exported over OTLP/HTTP when the standard variable
``OTEL_EXPORTER_OTLP_ENDPOINT`` (or ``..._TRACES_ENDPOINT``) is set; nothing otherwise.

A W3C ``traceparent`` header makes the span a child of the caller's. Attributes carry what
joins the span to the audit and the access log: prediction ids, audit hashes, the model
version and the micro-batch size. Spans are made by the SDK (its ids, sampling and limits),
batched by its ``BatchSpanProcessor`` (``OTEL_BSP_*``) and exported by its OTLP exporter
(``OTEL_EXPORTER_OTLP_*``), never on the request path. With the server's background process
(``glassbox.serving._offload``) the exporter runs there: encoding spans to protobuf is Python
work that would otherwise hold this process's GIL while requests wait; the batch thread here
only hands each span's fields over.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from glassbox.serving._offload import Offload

log = logging.getLogger("glassbox.serving")

ENDPOINT_ENVS = ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT")
# ids/hashes listed on one span: a 1000-row request lists its first 32 (``glassbox.rows`` has
# the count; its access log line lists them all)
_MAX_LISTED = 32


class Tracing:
    """Spans for requests; disabled (zero cost) without an OTLP endpoint."""

    def __init__(
        self,
        environ: Mapping[str, str],
        resource: Mapping[str, str],
        offload: Offload | None = None,
    ) -> None:
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
        exporter = OTLPSpanExporter() if offload is None else _offloaded_exporter(offload)
        self._provider.add_span_processor(BatchSpanProcessor(exporter))
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


def _offloaded_exporter(offload: Offload) -> Any:
    """A span exporter that sends each span's fields to the background process, where the
    SDK's own OTLP exporter encodes and sends them (``export_fields``)."""
    from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

    class OffloadedExporter(SpanExporter):
        def export(self, spans: Any) -> SpanExportResult:
            fields = [_fields(span) for span in spans]
            try:
                return SpanExportResult(offload.call(export_fields, fields))
            except Exception as exc:  # the helper restarting: spans are best effort
                log.warning("tracing: %d span(s) not exported: %s", len(fields), exc)
                return SpanExportResult.FAILURE

        def shutdown(self) -> None:
            """The exporter in the background process ends with it."""

    return OffloadedExporter()


def _context(ctx: Any) -> tuple[int, int, int, bool] | None:
    if ctx is None:
        return None
    return (ctx.trace_id, ctx.span_id, int(ctx.trace_flags), bool(ctx.is_remote))


def _fields(span: Any) -> tuple[Any, ...]:
    """What ``export_fields`` needs to rebuild a finished span (no events or links: the
    server's spans have none)."""
    scope = span.instrumentation_scope
    return (
        span.name,
        _context(span.context),
        _context(span.parent),
        span.kind.value,
        span.start_time,
        span.end_time,
        dict(span.attributes or {}),
        span.status.status_code.value,
        span.status.description,
        dict(span.resource.attributes),
        span.resource.schema_url,
        (scope.name, scope.version, scope.schema_url) if scope is not None else None,
    )


_EXPORTER: list[Any] = []  # the background process's OTLP exporter, made on first use


def export_fields(spans: list[tuple[Any, ...]]) -> int:
    """In the background process: rebuild the spans and export them with the SDK's OTLP/HTTP
    exporter (configured by the standard ``OTEL_EXPORTER_OTLP_*`` variables, as in the
    server); the ``SpanExportResult`` value."""
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import ReadableSpan
    from opentelemetry.sdk.util.instrumentation import InstrumentationScope
    from opentelemetry.trace import SpanContext, SpanKind, Status, StatusCode, TraceFlags

    if not _EXPORTER:
        _EXPORTER.append(OTLPSpanExporter())

    def context(fields: tuple[int, int, int, bool] | None) -> SpanContext | None:
        if fields is None:
            return None
        trace_id, span_id, flags, remote = fields
        return SpanContext(trace_id, span_id, is_remote=remote, trace_flags=TraceFlags(flags))

    rebuilt = []
    for name, ctx, parent, kind, start, end, attrs, code, text, res, res_url, scope in spans:
        rebuilt.append(
            ReadableSpan(
                name,
                context=context(ctx),
                parent=context(parent),
                resource=Resource(res, res_url),
                attributes=attrs,
                kind=SpanKind(kind),
                status=Status(StatusCode(code), text),
                start_time=start,
                end_time=end,
                instrumentation_scope=InstrumentationScope(*scope) if scope else None,
            )
        )
    return int(_EXPORTER[0].export(rebuilt).value)
