"""Spans an OTLP/HTTP receiver (pytest-httpserver) was sent, decoded with OpenTelemetry's own
protobuf classes."""

from __future__ import annotations

from typing import Any


def received_spans(receiver: Any) -> list[tuple[dict[str, str], Any]]:
    """(resource attributes, span) for every span in every export request the receiver got."""
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
        ExportTraceServiceRequest,
    )

    spans = []
    for request, _ in receiver.log:
        export = ExportTraceServiceRequest.FromString(request.get_data())
        for resource in export.resource_spans:
            attrs = {a.key: a.value.string_value for a in resource.resource.attributes}
            spans += [(attrs, span) for scope in resource.scope_spans for span in scope.spans]
    return spans
