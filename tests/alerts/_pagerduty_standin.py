"""STAND-IN: a PagerDuty Events API v2 checker written from the API reference, kept because no
vendor schema or validator is on PyPI: PagerDuty's official `pagerduty` package (7.x, the successor
of `pdpyras`) builds and sends events but only checks `event_action` and `dedup_key`; the Events
v2 OpenAPI document is not published as a package."""

from __future__ import annotations

from datetime import datetime
from typing import Any

TOP_LEVEL = {
    "routing_key",
    "event_action",
    "dedup_key",
    "payload",
    "images",
    "links",
    "client",
    "client_url",
}
ACTIONS = {"trigger", "acknowledge", "resolve"}
PAYLOAD = {
    "summary",
    "source",
    "severity",
    "timestamp",
    "component",
    "group",
    "class",
    "custom_details",
}
SEVERITIES = {"critical", "error", "warning", "info"}
SUMMARY_MAX = 1024
DEDUP_KEY_MAX = 255
ROUTING_KEY_LENGTH = 32


def _payload_problems(payload: Any) -> list[str]:
    if not isinstance(payload, dict):
        return ["payload: required object for a trigger event"]
    problems = [f"payload.{k}: unknown field" for k in set(payload) - PAYLOAD]
    summary = payload.get("summary")
    if not isinstance(summary, str) or not 1 <= len(summary) <= SUMMARY_MAX:
        problems.append(f"payload.summary: expected 1..{SUMMARY_MAX} characters")
    if not isinstance(payload.get("source"), str) or not payload["source"]:
        problems.append("payload.source: required non-empty string")
    if payload.get("severity") not in SEVERITIES:
        problems.append(f"payload.severity: expected one of {sorted(SEVERITIES)}")
    if "timestamp" in payload:
        try:
            datetime.fromisoformat(str(payload["timestamp"]))
        except ValueError:
            problems.append("payload.timestamp: expected ISO 8601")
    for name in ("component", "group", "class"):
        if name in payload and not isinstance(payload[name], str):
            problems.append(f"payload.{name}: expected a string")
    if "custom_details" in payload and not isinstance(payload["custom_details"], dict):
        problems.append("payload.custom_details: expected an object")
    return problems


def events_v2_problems(event: Any) -> list[str]:
    """Every way ``event`` breaks the Events v2 schema; [] when valid."""
    if not isinstance(event, dict):
        return ["event: expected an object"]
    problems = [f"{k}: unknown top-level field" for k in set(event) - TOP_LEVEL]
    key = event.get("routing_key")
    if not isinstance(key, str) or len(key) != ROUTING_KEY_LENGTH:
        problems.append(f"routing_key: expected a {ROUTING_KEY_LENGTH}-character string")
    action = event.get("event_action")
    if action not in ACTIONS:
        problems.append(f"event_action: expected one of {sorted(ACTIONS)}, got {action!r}")
    dedup = event.get("dedup_key")
    if dedup is not None and (not isinstance(dedup, str) or not 1 <= len(dedup) <= DEDUP_KEY_MAX):
        problems.append(f"dedup_key: expected 1..{DEDUP_KEY_MAX} characters")
    if action in ("acknowledge", "resolve") and dedup is None:
        problems.append(f"dedup_key: required for {action}")
    if action == "trigger":
        problems += _payload_problems(event.get("payload"))
    for i, link in enumerate(event.get("links") or []):
        if not isinstance(link, dict) or not isinstance(link.get("href"), str):
            problems.append(f"links[{i}].href: required string")
        elif set(link) - {"href", "text"}:
            problems.append(f"links[{i}]: unknown fields {sorted(set(link) - {'href', 'text'})}")
    for i, image in enumerate(event.get("images") or []):
        if not isinstance(image, dict) or not isinstance(image.get("src"), str):
            problems.append(f"images[{i}].src: required string")
    return problems
