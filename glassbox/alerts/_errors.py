"""Exceptions raised by ``glassbox.alerts`` (one-line messages, never containing a secret)."""

from __future__ import annotations

from glassbox.errors import ConfigError, GlassboxError


class AlertError(GlassboxError):
    """An alert or the alert state is invalid (names the field or file and what was expected)."""


class AlertConfigError(AlertError, ConfigError):
    """An alerting setting (environment variable or argument) is missing or invalid."""


class DeliveryError(AlertError):
    """One delivery attempt to a channel failed; the outbox row stays or is marked failed."""

    retryable: bool = False

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class RetryableDeliveryError(DeliveryError):
    """A transient failure: timeout, connection refused, 5xx, 429 (optionally with Retry-After)."""

    retryable = True

    def __init__(
        self, message: str, *, status: int | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(message, status=status)
        self.retry_after = retry_after


class PermanentDeliveryError(DeliveryError):
    """The receiver rejected the message for good (4xx other than 408/429): never retried."""


def redact(text: str, secrets: tuple[str, ...]) -> str:
    """Replace every secret value (webhook URL, routing key, their paths) in ``text``."""
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        text = text.replace(secret, "[redacted]")
    return text
