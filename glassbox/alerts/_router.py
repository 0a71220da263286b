"""``AlertRouter``: decide, write to the outbox, deliver, and keep the outbox healthy."""

from __future__ import annotations

import logging
import os
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime, timedelta
from functools import partial
from types import TracebackType
from typing import Any

from glassbox.alerts._channel import Channel
from glassbox.alerts._desktop import DesktopChannel
from glassbox.alerts._email import EmailChannel
from glassbox.alerts._errors import AlertError, DeliveryError, redact
from glassbox.alerts._model import Alert, Severity, make_dedup_key
from glassbox.alerts._outbox import Outbox, OutboxRow, OutboxStatus
from glassbox.alerts._pagerduty import PagerDutyChannel
from glassbox.alerts._policy import Decision, decide
from glassbox.alerts._report import DeliveryFailure, FlushReport, SendReport
from glassbox.alerts._retry import DeliveryAttempts
from glassbox.alerts._settings import AlertSettings
from glassbox.alerts._slack import SlackChannel

log = logging.getLogger("glassbox.alerts")

Routes = Callable[[Severity], tuple[str, ...]]
SLACK_BY_SEVERITY = {Severity.WARNING: "slack-warning", Severity.CRITICAL: "slack-critical"}
HEALTH_MODEL = "glassbox"  # the `model` of the router's own alert_delivery_failure alerts


class AlertRouter:
    """Routes alerts by severity, once per dedup key and cooldown, through a durable outbox.

    warning -> Slack; critical -> Slack + PagerDuty; each severity to its own Slack channel when
    one is configured for it (``slack-warning``/``slack-critical``); email at or above its
    ``min_severity``; recovery -> resolve where it was sent; local runs (``local=True`` or no
    remote channel configured) -> desktop/terminal. Call :meth:`flush` at the start of every
    run to deliver what earlier runs could not.
    """

    def __init__(
        self,
        settings: AlertSettings | None = None,
        *,
        slack: Channel | None = None,
        pagerduty: Channel | None = None,
        desktop: Channel | None = None,
        clock: Callable[[], datetime] | None = None,
        environ: Mapping[str, str] | None = None,
        channels: Iterable[Channel] = (),
    ) -> None:
        self.settings = settings or AlertSettings()
        self._clock = clock or (lambda: datetime.now(UTC))
        self._channels: dict[str, Channel] = {"desktop": desktop or DesktopChannel()}
        if slack is not None:
            self._channels["slack"] = slack
        if pagerduty is not None:
            self._channels["pagerduty"] = pagerduty
        for channel in channels:
            self._channels[channel.name] = channel
        self._outbox = Outbox(self.settings.resolved_state_dir(environ))

    @classmethod
    def from_env(
        cls,
        settings: AlertSettings | Mapping[str, Any] | None = None,
        *,
        environ: Mapping[str, str] | None = None,
        desktop: Channel | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> AlertRouter:
        """Channels from ``SLACK_WEBHOOK_URL`` / ``PAGERDUTY_ROUTING_KEY`` (unset: not used)."""
        env = os.environ if environ is None else environ
        if not isinstance(settings, AlertSettings):
            settings = AlertSettings.load(settings, env)
        webhook = env.get("SLACK_WEBHOOK_URL", "").strip()
        routing_key = env.get("PAGERDUTY_ROUTING_KEY", "").strip()
        timeout = settings.http_timeout_seconds
        slack = SlackChannel(webhook, timeout=timeout) if webhook else None
        extra: list[Channel] = [
            SlackChannel(url, timeout=timeout, name=name)
            for name, url in (
                (name, env.get(f"SLACK_WEBHOOK_URL_{severity.value.upper()}", "").strip())
                for severity, name in SLACK_BY_SEVERITY.items()
            )
            if url
        ]
        if settings.email is not None:
            extra.append(
                EmailChannel(
                    settings.email,
                    username=env.get("SMTP_USERNAME", "").strip() or None,
                    password=env.get("SMTP_PASSWORD") or None,
                    timeout=timeout,
                )
            )
        pagerduty = (
            PagerDutyChannel(
                routing_key,
                events_url=settings.pagerduty_events_url,
                source=settings.source,
                timeout=timeout,
            )
            if routing_key
            else None
        )
        return cls(
            settings,
            slack=slack,
            pagerduty=pagerduty,
            desktop=desktop,
            clock=clock,
            environ=env,
            channels=extra,
        )

    # -- public API ---------------------------------------------------------------------------

    @property
    def channels(self) -> tuple[str, ...]:
        """Names of the channels this router can deliver to (desktop always)."""
        return tuple(sorted(self._channels))

    @property
    def remote(self) -> tuple[str, ...]:
        """The configured channels other than the desktop."""
        return tuple(name for name in sorted(self._channels) if name != "desktop")

    @property
    def is_local(self) -> bool:
        return self.settings.local or not self.remote

    @property
    def state_path(self) -> str:
        return str(self._outbox.path)

    def send(self, alerts: Alert | Iterable[Alert]) -> SendReport:
        """Decide for each alert, write what must be sent to the outbox, then deliver it."""
        batch = [alerts] if isinstance(alerts, Alert) else list(alerts)
        for item in batch:
            if not isinstance(item, Alert):
                raise AlertError(f"send: expected Alert objects, got {type(item).__name__}")
        decisions = self._enqueue([(alert, self._routes) for alert in batch])
        return SendReport(tuple(decisions), self.flush())

    def flush(self) -> FlushReport:
        """Deliver every pending outbox row (oldest first) within this run's budget."""
        with self._outbox.flush_lock(self.settings.lock_timeout_seconds):
            deadline = time.monotonic() + self.settings.flush_budget_seconds
            report = self._deliver_pending(deadline)
            health = self._delivery_health(report)
            if health:
                self._enqueue(health)
                report = report.merge(self._deliver_pending(deadline))
            retention = timedelta(days=self.settings.retention_days)
            self._outbox.prune(self._clock() - retention)
        return report

    def status(self) -> OutboxStatus:
        return self._outbox.status()

    def outbox(self, status: str | None = None) -> list[OutboxRow]:
        """The outbox rows (``pending``/``delivered``/``failed`` or all), oldest first."""
        return self._outbox.rows(status)

    def silence(self, target: Alert | str, *, duration: timedelta, reason: str) -> datetime:
        """Send nothing for this dedup key (or alert) for ``duration``; returns the end time.

        Recoveries are still sent. ``reason`` is kept with the silence for whoever looks next.
        """
        key = target.dedup_key if isinstance(target, Alert) else target.strip()
        if not key:
            raise AlertError("silence: expected an Alert or a non-empty dedup key")
        if duration <= timedelta(0):
            raise AlertError(f"silence: expected a positive duration, got {duration}")
        if not reason.strip():
            raise AlertError("silence: expected a reason (who silenced it and why)")
        until = self._clock() + duration
        self._outbox.silence(key, until, reason.strip())
        log.info("alert %s: silenced until %s (%s)", key, until.isoformat(), reason.strip())
        return until

    def unsilence(self, target: Alert | str) -> bool:
        """Lift a silence; returns whether one existed."""
        return self._outbox.unsilence(target.dedup_key if isinstance(target, Alert) else target)

    def requeue_failed(self) -> int:
        """Retry permanently failed rows at the next flush (after fixing the secret/channel)."""
        return self._outbox.requeue_failed()

    def close(self) -> None:
        self._outbox.close()

    def __enter__(self) -> AlertRouter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- routing and enqueueing ---------------------------------------------------------------

    def _routes(self, severity: Severity, exclude: frozenset[str] = frozenset()) -> tuple[str, ...]:
        if self.is_local:
            return ("desktop",)
        own = SLACK_BY_SEVERITY.get(severity)
        wanted = [own if own in self._channels else "slack"]
        if severity is Severity.CRITICAL:
            wanted.append("pagerduty")
        email = self._channels.get("email")
        if isinstance(email, EmailChannel) and email.wants(severity):
            wanted.append("email")
        chosen = tuple(n for n in wanted if n in self._channels and n not in exclude)
        return chosen or ("desktop",)

    def _enqueue(self, items: list[tuple[Alert, Routes]]) -> list[Decision]:
        now = self._clock()
        cooldown = self.settings.cooldown
        decisions = []
        with self._outbox.transaction() as db:
            for alert, routes in items:
                current = self._outbox.open_alert(db, alert.dedup_key)
                decision = decide(
                    alert,
                    current,
                    now=now,
                    cooldown=cooldown,
                    routes=routes,
                    silenced_until=self._outbox.silenced_until(db, alert.dedup_key, now),
                )
                for channel in decision.channels:
                    self._outbox.enqueue(db, alert, channel, decision.action or "trigger", now)
                if decision.outcome == "recovered":
                    self._outbox.close_alert(db, alert.dedup_key)
                elif decision.sent and decision.state is not None:
                    self._outbox.save_open_alert(db, decision.state)
                decisions.append(decision)
        for decision in decisions:
            log.info(
                "alert %s: %s%s",
                decision.alert.dedup_key,
                decision.outcome,
                f" -> {', '.join(decision.channels)}" if decision.channels else "",
            )
        return decisions

    # -- delivery -----------------------------------------------------------------------------

    def _secrets(self) -> tuple[str, ...]:
        return tuple(s for channel in self._channels.values() for s in channel.secrets())

    def _deliver_pending(self, deadline: float) -> FlushReport:
        delivered: Counter[str] = Counter()
        failures: list[DeliveryFailure] = []
        deferred: dict[str, str] = {}
        blocked: set[tuple[str, str]] = set()  # keep trigger -> resolve order per key
        for row in self._outbox.pending():
            key = (row.channel, row.dedup_key)
            channel = self._channels.get(row.channel)
            if channel is None:
                deferred.setdefault(row.channel, "channel not configured in this run")
                continue
            if row.channel in deferred or key in blocked:
                continue
            if time.monotonic() >= deadline:
                deferred["*"] = f"flush budget of {self.settings.flush_budget_seconds:g}s spent"
                break
            failure = self._deliver_row(channel, row)
            if failure is None:
                delivered[row.channel] += 1
                continue
            failures.append(failure)
            blocked.add(key)
            if not failure.permanent:  # the receiver is down or throttling: try next run
                deferred[row.channel] = failure.error
        return FlushReport(
            delivered=sum(delivered.values()),
            pending=self._outbox.status().pending,
            failures=tuple(failures),
            deferred=deferred,
            by_channel=dict(delivered),
        )

    def _deliver_row(self, channel: Channel, row: OutboxRow) -> DeliveryFailure | None:
        attempts = DeliveryAttempts(self.settings.retry)
        runbook = self.settings.runbook_url
        try:
            attempts.run(lambda: channel.deliver(row.action, row.alert, runbook_base=runbook))
        except DeliveryError as exc:
            error = redact(str(exc), self._secrets())
            if attempts.deferred_for is not None:
                error += f" (Retry-After {attempts.deferred_for:.0f}s: left for the next run)"
            permanent = not exc.retryable
            self._outbox.record(
                row.id,
                status="failed" if permanent else "pending",
                attempts=attempts.attempts,
                error=error,
                now=self._clock(),
            )
            log.warning(
                "alert %s: %s delivery %s after %d attempt(s): %s",
                row.dedup_key,
                row.channel,
                "failed permanently" if permanent else "deferred",
                attempts.attempts,
                error,
            )
            return DeliveryFailure(row.id, row.channel, row.dedup_key, error, permanent)
        self._outbox.record(
            row.id, status="delivered", attempts=attempts.attempts, error=None, now=self._clock()
        )
        return None

    def _delivery_health(self, report: FlushReport) -> list[tuple[Alert, Routes]]:
        """``alert_delivery_failure`` alerts for failing remote channels, sent elsewhere."""
        oldest = self._outbox.oldest_pending_by_channel()
        items: list[tuple[Alert, Routes]] = []
        for name in self.remote:
            alert = self._health_alert(name, report, oldest.get(name))
            if alert is not None:
                items.append((alert, partial(self._routes, exclude=frozenset({name}))))
        return items

    def _health_alert(
        self, name: str, report: FlushReport, oldest_pending: datetime | None
    ) -> Alert | None:
        if name not in self._channels:
            return None
        failures = [f for f in report.failures if f.channel == name]
        rejected = sum(f.permanent for f in failures)
        now = self._clock()
        stale_after = timedelta(seconds=self.settings.stale_after_seconds)
        stale = oldest_pending is not None and now - oldest_pending >= stale_after
        common = {"model": HEALTH_MODEL, "check": "alert_delivery_failure", "feature": name}
        if rejected or (failures and stale):
            since = f"{oldest_pending:%Y-%m-%d %H:%M} UTC" if oldest_pending else "this run"
            return Alert(
                **common,
                severity=Severity.CRITICAL,
                summary=(
                    f"Alerts to {name} are not being delivered ({rejected} rejected for good in "
                    f"this run, oldest pending since {since}). Last error: {failures[-1].error}"
                )[:4000],
                details={"rejected": rejected, "failed_rows": len(failures)},
            )
        key = make_dedup_key(HEALTH_MODEL, "alert_delivery_failure", name)
        if report.by_channel.get(name) and not failures and self._outbox.find_open(key):
            return Alert(
                **common, severity=Severity.NONE, summary=f"Alerts to {name} are delivered again."
            )
        return None
