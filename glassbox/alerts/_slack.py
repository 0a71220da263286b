"""Slack incoming webhook: a Block Kit message per alert, built with ``slack_sdk.models.blocks``
(whose ``to_dict`` validates it against Block Kit's limits) and sent with ``slack_sdk``."""

from __future__ import annotations

import http.client
import logging
from typing import Any
from urllib.parse import urlsplit

from pydantic import SecretStr

from glassbox.alerts._channel import Action
from glassbox.alerts._errors import AlertConfigError, RetryableDeliveryError, redact
from glassbox.alerts._model import Alert, Severity
from glassbox.alerts._retry import raise_for_status

# Slack's documented limits (Block Kit reference): header text 150, section text 3000,
# section fields 10 x 2000, context elements 10, mrkdwn/plain text object 3000.
HEADER_MAX = 150
SECTION_TEXT_MAX = 3000
FIELDS_MAX = 10
FIELD_TEXT_MAX = 2000
CONTEXT_ELEMENTS_MAX = 10
FALLBACK_TEXT_MAX = 3000

_EMOJI = {
    Severity.CRITICAL: ":rotating_light:",
    Severity.WARNING: ":warning:",
    Severity.NONE: ":white_check_mark:",
}

# slack_sdk logs the webhook URL at DEBUG level and request errors at ERROR level: give the
# client a logger that drops everything, so the secret URL can never reach a log handler.
_SILENT = logging.getLogger("glassbox.alerts.slack_sdk")
_SILENT.setLevel(logging.CRITICAL + 1)
_SILENT.propagate = False


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _escape(text: str) -> str:
    """Slack mrkdwn control characters (``&``, ``<``, ``>``) as entities."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _link(href: str, text: str) -> str:
    if urlsplit(href).scheme in ("http", "https"):
        safe = _escape(href).replace("|", "%7C")
        return f"<{safe}|{_escape(text)}>"
    code = _escape(href).replace("`", "'")
    return f"{_escape(text)}: `{code}`"


def _format_value(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return "n/a" if value is None else str(value)


def slack_message(alert: Alert, action: Action, *, runbook_base: str) -> dict[str, Any]:
    """The webhook body: Block Kit ``blocks`` plus the plain ``text`` fallback."""
    recovered = action == "resolve" or alert.severity is Severity.NONE
    severity = Severity.NONE if recovered else alert.severity
    label = "RECOVERED" if recovered else severity.value.upper()
    title = _clip(f"{_EMOJI[severity]} {label} {alert.subject}", HEADER_MAX)
    facts: list[tuple[str, str]] = [
        ("Model", alert.model),
        ("Check", alert.check),
        ("Feature", alert.feature or "(whole dataset)"),
        ("Severity", label.lower()),
    ]
    facts += [(key, _format_value(value)) for key, value in alert.details.items()]
    from slack_sdk.models.blocks import (
        ContextBlock,
        HeaderBlock,
        MarkdownTextObject,
        PlainTextObject,
        SectionBlock,
    )

    fields = [
        MarkdownTextObject(text=_clip(f"*{_escape(name)}*\n{_escape(value)}", FIELD_TEXT_MAX))
        for name, value in facts[:FIELDS_MAX]
    ]
    links = " • ".join(_link(link.href, link.text) for link in alert.links(runbook_base))
    built = [
        HeaderBlock(text=PlainTextObject(text=title, emoji=True)),
        SectionBlock(
            text=MarkdownTextObject(text=_clip(_escape(alert.summary), SECTION_TEXT_MAX)),
            fields=fields,
        ),
        ContextBlock(
            elements=[
                MarkdownTextObject(text=_clip(links, SECTION_TEXT_MAX)),
                MarkdownTextObject(text=f"dedup key `{alert.dedup_key}`"),
            ]
        ),
    ]
    # to_dict() runs the SDK's Block Kit validation (lengths, counts, required fields).
    blocks = [block.to_dict() for block in built]
    # The top-level text is parsed as mrkdwn by Slack (notification + fallback): escape it.
    text = _clip(_escape(f"{label} {alert.subject}: {alert.summary}"), FALLBACK_TEXT_MAX)
    return {"text": text, "blocks": blocks}


class SlackChannel:
    """Posts to a Slack incoming webhook; the URL is the secret and never leaves this object."""

    name = "slack"

    def __init__(
        self, webhook_url: str | SecretStr, *, timeout: float = 10.0, name: str = "slack"
    ) -> None:
        self.name = name  # "slack", or "slack-warning" / "slack-critical": one per channel
        url = SecretStr(webhook_url) if isinstance(webhook_url, str) else webhook_url
        parts = urlsplit(url.get_secret_value())
        if parts.scheme not in ("http", "https") or not parts.netloc:
            variable = "SLACK_WEBHOOK_URL" + name.removeprefix("slack").replace("-", "_").upper()
            raise AlertConfigError(f"{variable}: expected an http(s) URL")
        if timeout <= 0:
            raise AlertConfigError(f"slack timeout: expected seconds > 0, got {timeout}")
        self._url = url
        self._path = parts.path
        self.timeout = timeout

    def __repr__(self) -> str:
        return f"SlackChannel(webhook_url=SecretStr('**********'), timeout={self.timeout})"

    def secrets(self) -> tuple[str, ...]:
        value = self._url.get_secret_value()
        return (value, self._path) if len(self._path) >= 8 else (value,)

    def deliver(self, action: Action, alert: Alert, *, runbook_base: str) -> None:
        from slack_sdk.webhook import WebhookClient

        client = WebhookClient(
            self._url.get_secret_value(),
            timeout=self.timeout,  # type: ignore[arg-type]  # urllib takes float seconds
            logger=_SILENT,
            retry_handlers=[],  # retries are ours (stamina, Retry-After aware)
        )
        try:
            response = client.send_dict(slack_message(alert, action, runbook_base=runbook_base))
        except (OSError, http.client.HTTPException) as exc:  # URLError, timeouts, resets
            reason = getattr(exc, "reason", None) or exc
            message = redact(f"slack: {type(exc).__name__}: {reason}", self.secrets())
            raise RetryableDeliveryError(message) from None
        body = redact(str(response.body), self.secrets())
        raise_for_status(self.name, response.status_code, response.headers, body)
