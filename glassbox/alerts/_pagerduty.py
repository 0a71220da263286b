"""PagerDuty Events API v2: trigger and resolve events keyed by the alert's dedup key."""

from __future__ import annotations

import http.client
import json
import urllib.request
from typing import Any
from urllib.error import HTTPError
from urllib.parse import urlsplit

from pydantic import SecretStr

from glassbox.alerts._channel import Action
from glassbox.alerts._errors import AlertConfigError, RetryableDeliveryError, redact
from glassbox.alerts._model import Alert, Severity
from glassbox.alerts._retry import raise_for_status

DEFAULT_EVENTS_URL = "https://events.pagerduty.com/v2/enqueue"
SUMMARY_MAX = 1024
DEDUP_KEY_MAX = 255

_PD_SEVERITY = {Severity.CRITICAL: "critical", Severity.WARNING: "warning"}


def pagerduty_event(
    alert: Alert, action: Action, *, routing_key: str, source: str, runbook_base: str
) -> dict[str, Any]:
    """The Events v2 body. ``resolve`` carries only the key; ``trigger`` the full payload."""
    event: dict[str, Any] = {
        "routing_key": routing_key,
        "event_action": action,
        "dedup_key": alert.dedup_key[:DEDUP_KEY_MAX],
    }
    if action == "resolve":
        return event
    summary = f"[{alert.severity.value}] {alert.subject}: {alert.summary}"
    if len(summary) > SUMMARY_MAX:
        summary = summary[: SUMMARY_MAX - 1] + "…"
    links = alert.links(runbook_base)
    custom_details: dict[str, Any] = {
        "model": alert.model,
        "check": alert.check,
        "feature": alert.feature,
        **{f"detail.{key}": value for key, value in alert.details.items()},
        "runbook": alert.runbook_url(runbook_base),
    }
    event["payload"] = {
        "summary": summary,
        "source": source,
        "severity": _PD_SEVERITY.get(alert.severity, "info"),
        "timestamp": alert.created_at.isoformat(),
        "component": alert.model,
        "group": alert.check_group,
        "class": alert.check,
        "custom_details": custom_details,
    }
    # PagerDuty renders links as anchors: only absolute http(s) URLs make sense there.
    event["links"] = [
        {"href": link.href, "text": link.text}
        for link in links
        if urlsplit(link.href).scheme in ("http", "https")
    ]
    event["client"] = "Glassbox"
    return event


def _post(request: urllib.request.Request, timeout: float) -> tuple[int, dict[str, str], bytes]:
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return response.status, dict(response.headers), response.read()
    except HTTPError as exc:  # a non-2xx answer: classified by the caller
        return exc.code, dict(exc.headers or {}), exc.read()


class PagerDutyChannel:
    """Sends Events v2 to ``events_url``; the routing key is the secret."""

    name = "pagerduty"

    def __init__(
        self,
        routing_key: str | SecretStr,
        *,
        events_url: str = DEFAULT_EVENTS_URL,
        source: str = "glassbox",
        timeout: float = 10.0,
    ) -> None:
        key = SecretStr(routing_key) if isinstance(routing_key, str) else routing_key
        if not key.get_secret_value().strip():
            raise AlertConfigError("PAGERDUTY_ROUTING_KEY: expected a non-empty routing key")
        parts = urlsplit(events_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise AlertConfigError(
                f"pagerduty events URL: expected an http(s) URL, got {events_url!r}"
            )
        if timeout <= 0:
            raise AlertConfigError(f"pagerduty timeout: expected seconds > 0, got {timeout}")
        self._key = key
        self.events_url = events_url
        self.source = source
        self.timeout = timeout

    def __repr__(self) -> str:
        return (
            f"PagerDutyChannel(routing_key=SecretStr('**********'), "
            f"events_url={self.events_url!r}, timeout={self.timeout})"
        )

    def secrets(self) -> tuple[str, ...]:
        return (self._key.get_secret_value(),)

    def deliver(self, action: Action, alert: Alert, *, runbook_base: str) -> None:
        event = pagerduty_event(
            alert,
            action,
            routing_key=self._key.get_secret_value(),
            source=self.source,
            runbook_base=runbook_base,
        )
        request = urllib.request.Request(  # noqa: S310  (scheme checked in __init__)
            self.events_url,
            data=json.dumps(event, allow_nan=False).encode(),
            headers={"Content-Type": "application/json", "User-Agent": "glassbox-alerts"},
            method="POST",
        )
        try:
            status, headers, body = _post(request, self.timeout)
        except (OSError, http.client.HTTPException) as exc:  # URLError, timeouts, resets
            reason = getattr(exc, "reason", None) or exc
            message = redact(f"pagerduty: {type(exc).__name__}: {reason}", self.secrets())
            raise RetryableDeliveryError(message) from None
        text = redact(body.decode("utf-8", "replace"), self.secrets())
        raise_for_status(self.name, status, headers, text)
