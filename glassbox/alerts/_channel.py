"""What the router needs from a delivery channel (Slack, PagerDuty, desktop)."""

from __future__ import annotations

from typing import Literal, Protocol

from glassbox.alerts._model import Alert

Action = Literal["trigger", "resolve"]


class Channel(Protocol):
    """Delivers one alert once; raises ``RetryableDeliveryError``/``PermanentDeliveryError``."""

    @property
    def name(self) -> str:
        """The reference stored in the outbox (``slack``, ``pagerduty``, ``desktop``)."""
        ...

    def deliver(self, action: Action, alert: Alert, *, runbook_base: str) -> None: ...

    def secrets(self) -> tuple[str, ...]:
        """Values that must never reach a log line, an exception or the outbox."""
        ...
