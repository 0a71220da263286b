"""Retries around one delivery: exponential backoff via stamina, ``Retry-After`` honoured."""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime

import stamina
from pydantic import BaseModel, ConfigDict, Field

from glassbox.alerts._errors import (
    DeliveryError,
    PermanentDeliveryError,
    RetryableDeliveryError,
)


class RetryPolicy(BaseModel):
    """How hard one run tries one outbox row before leaving it for the next run."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    attempts: int = Field(5, ge=1, le=50)
    timeout: float = Field(60.0, gt=0, description="seconds spent on one row, waits included")
    wait_initial: float = Field(0.5, ge=0)
    wait_max: float = Field(30.0, ge=0)
    wait_jitter: float = Field(0.5, ge=0)
    max_retry_after: float = Field(
        30.0, ge=0, description="a longer Retry-After (or one beyond `timeout`) defers the row"
    )


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP-date), else None."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    current = datetime.now(UTC).timestamp() if now is None else now
    return max(0.0, when.timestamp() - current)


def _header(headers: Mapping[str, object], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name.lower():
            return value[0] if isinstance(value, list) and value else str(value)
    return None


def raise_for_status(channel: str, status: int, headers: Mapping[str, object], body: str) -> None:
    """Turn an HTTP answer into nothing (2xx) or a retryable/permanent ``DeliveryError``."""
    if 200 <= status < 300:
        return
    snippet = " ".join(body.split())[:200]
    message = f"{channel}: HTTP {status}" + (f": {snippet}" if snippet else "")
    if status in (408, 429) or status >= 500:
        retry_after = parse_retry_after(_header(headers, "Retry-After"))
        raise RetryableDeliveryError(message, status=status, retry_after=retry_after)
    raise PermanentDeliveryError(message, status=status)


class DeliveryAttempts:
    """Calls ``send`` until it succeeds, fails permanently, or the policy's budget is spent.

    ``attempts`` counts the calls made, so the outbox can record them whatever the outcome.
    """

    def __init__(self, policy: RetryPolicy) -> None:
        self.policy = policy
        self.attempts = 0
        self.deferred_for: float | None = None
        self._started = time.monotonic()

    def _backoff(self, exc: Exception) -> bool | float:
        if not isinstance(exc, RetryableDeliveryError):
            return False
        if exc.retry_after is None:
            return True
        remaining = self.policy.timeout - (time.monotonic() - self._started)
        if exc.retry_after > min(self.policy.max_retry_after, remaining):
            self.deferred_for = exc.retry_after
            return False
        return exc.retry_after

    def run(self, send: Callable[[], None]) -> None:
        policy = self.policy
        self._started = started = time.monotonic()
        for attempt in stamina.retry_context(
            on=self._backoff,
            attempts=policy.attempts,
            timeout=policy.timeout,
            wait_initial=policy.wait_initial,
            wait_max=policy.wait_max,
            wait_jitter=policy.wait_jitter,
        ):
            with attempt:
                self.attempts += 1
                try:
                    send()
                except DeliveryError:
                    raise
                except Exception as exc:  # a bug or an unexpected library error: don't loop
                    raise PermanentDeliveryError(
                        f"unexpected {type(exc).__name__} after "
                        f"{time.monotonic() - started:.1f}s: {exc}"
                    ) from None
