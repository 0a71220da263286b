"""Whether an alert is sent, to which channels, and how the per-key state changes (pure)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from glassbox.alerts._channel import Action
from glassbox.alerts._model import Alert, Severity
from glassbox.alerts._outbox import OpenAlert

Outcome = Literal["new", "escalated", "reminder", "suppressed", "silenced", "recovered", "ignored"]


@dataclass(frozen=True)
class Decision:
    """What the router does with one alert; ``channels`` is empty unless something is sent."""

    alert: Alert
    outcome: Outcome
    action: Action | None
    channels: tuple[str, ...]
    state: OpenAlert | None  # the open-alert state after this decision (None: closed/none)
    # For a recovery: how long the alert was open (opened -> resolved), the time to resolve.
    resolved_after: timedelta | None = None

    @property
    def sent(self) -> bool:
        return bool(self.channels)


def decide(
    alert: Alert,
    current: OpenAlert | None,
    *,
    now: datetime,
    cooldown: timedelta,
    routes: Callable[[Severity], tuple[str, ...]],
    silenced_until: datetime | None = None,
) -> Decision:
    """Apply dedupe, cooldown, escalation and recovery to ``alert`` given the open state.

    - nothing open, severity warning/critical: ``new`` -> channels of the severity;
    - open, higher severity than last sent: ``escalated`` (e.g. warning -> critical pages);
    - open, same or lower severity, within the cooldown since the last send: ``suppressed``;
    - open, cooldown elapsed: ``reminder`` at the current severity;
    - severity none with an open alert: ``recovered`` -> resolve on every channel notified;
    - severity none with nothing open: ``ignored``;
    - a trigger while the key is silenced (``silenced_until`` in the future): ``silenced``
      (recoveries still go out, so an incident opened before the silence gets closed).
    """
    if alert.severity is Severity.NONE:
        if current is None:
            return Decision(alert, "ignored", None, (), None)
        return Decision(
            alert,
            "recovered",
            "resolve",
            tuple(sorted(current.channels)),
            None,
            resolved_after=now - current.opened_at,
        )

    if silenced_until is not None and now < silenced_until:
        return Decision(alert, "silenced", None, (), current)
    if current is None:
        outcome: Outcome = "new"
    elif alert.severity.rank > current.severity.rank:
        outcome = "escalated"
    elif now - current.last_sent_at < cooldown:
        return Decision(alert, "suppressed", None, (), current)
    else:
        outcome = "reminder"

    channels = routes(alert.severity)
    state = OpenAlert(
        dedup_key=alert.dedup_key,
        severity=alert.severity,
        channels=frozenset(channels) | (current.channels if current else frozenset()),
        opened_at=current.opened_at if current else now,
        last_sent_at=now,
    )
    return Decision(alert, outcome, "trigger", channels, state)
