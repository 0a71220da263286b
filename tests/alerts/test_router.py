"""Routing by severity, dedupe + cooldown shared across runs, escalation, recovery, silence."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest

from glassbox.alerts import AlertError

from ._receiver import Receiver
from .conftest import FakeClock, RouterFactory, make_alert


def _channels(receiver: Receiver) -> list[str]:
    return [r.channel for r in receiver.accepted()]


def test_warning_goes_to_slack_only_and_critical_to_slack_and_pagerduty(
    receiver: Receiver, make_router: RouterFactory
) -> None:
    router = make_router(slack=receiver, pagerduty=receiver)
    router.send(make_alert("warning", feature="a"))
    assert _channels(receiver) == ["slack"]
    router.send(make_alert("critical", feature="b"))
    assert sorted(_channels(receiver)[1:]) == ["pagerduty", "slack"]


def test_same_alert_within_cooldown_is_sent_once_even_from_a_new_run(
    receiver: Receiver, make_router: RouterFactory, clock: FakeClock
) -> None:
    first = make_router(slack=receiver, clock=clock)
    assert [d.outcome for d in first.send(make_alert()).decisions] == ["new"]
    first.close()
    clock.advance(hours=1)
    second_run = make_router(slack=receiver, clock=clock)  # same state dir: like the next cron run
    report = second_run.send([make_alert(), make_alert()])
    assert [d.outcome for d in report.decisions] == ["suppressed", "suppressed"]
    assert len(receiver.accepted()) == 1


def test_escalation_is_sent_at_once_and_pages(
    receiver: Receiver, make_router: RouterFactory, clock: FakeClock
) -> None:
    router = make_router(slack=receiver, pagerduty=receiver, clock=clock)
    router.send(make_alert("warning"))
    clock.advance(minutes=5)
    report = router.send(make_alert("critical"))
    assert [d.outcome for d in report.decisions] == ["escalated"]
    assert _channels(receiver)[0] == "slack"
    assert sorted(_channels(receiver)[1:]) == ["pagerduty", "slack"]
    # a de-escalation inside the cooldown is not news
    clock.advance(minutes=5)
    assert router.send(make_alert("warning")).decisions[0].outcome == "suppressed"


def test_reminder_after_the_cooldown(
    receiver: Receiver, make_router: RouterFactory, clock: FakeClock
) -> None:
    router = make_router(slack=receiver, clock=clock, cooldown_seconds=3600)
    router.send(make_alert())
    clock.advance(minutes=59)
    assert router.send(make_alert()).decisions[0].outcome == "suppressed"
    clock.advance(minutes=2)
    assert router.send(make_alert()).decisions[0].outcome == "reminder"
    assert len(receiver.accepted("slack")) == 2


def test_recovery_resolves_where_the_alert_went_and_only_once(
    receiver: Receiver, make_router: RouterFactory, clock: FakeClock
) -> None:
    router = make_router(slack=receiver, pagerduty=receiver, clock=clock)
    assert router.send(make_alert("none")).decisions[0].outcome == "ignored"  # nothing open
    router.send(make_alert("warning"))  # Slack only: nothing to resolve in PagerDuty
    report = router.send(make_alert("none", summary="back to normal"))
    assert report.decisions[0].outcome == "recovered"
    assert report.decisions[0].channels == ("slack",)
    assert router.send(make_alert("none")).decisions[0].outcome == "ignored"
    assert _channels(receiver) == ["slack", "slack"]
    # after a recovery the same problem is news again, even inside the cooldown
    assert router.send(make_alert("warning")).decisions[0].outcome == "new"


def test_recovery_after_a_de_escalated_reminder_still_resolves_the_page(
    receiver: Receiver, make_router: RouterFactory, clock: FakeClock
) -> None:
    router = make_router(slack=receiver, pagerduty=receiver, clock=clock, cooldown_seconds=60)
    router.send(make_alert("critical"))
    clock.advance(minutes=2)
    assert router.send(make_alert("warning")).decisions[0].outcome == "reminder"
    report = router.send(make_alert("none"))
    assert report.decisions[0].channels == ("pagerduty", "slack")
    assert [r.json["event_action"] for r in receiver.accepted("pagerduty")] == [
        "trigger",
        "resolve",
    ]


def test_local_runs_notify_the_desktop_or_the_terminal(
    receiver: Receiver, make_router: RouterFactory, terminal: io.StringIO
) -> None:
    router = make_router(slack=receiver, pagerduty=receiver, local=True)
    assert router.is_local
    report = router.send(make_alert("critical"))
    assert report.decisions[0].channels == ("desktop",)
    assert receiver.requests == []
    printed = terminal.getvalue()
    assert "[Glassbox alert] CRITICAL car-loan-default: data_drift on car_value" in printed
    assert "Runbook: docs/runbook.md#data-drift" in printed


def test_without_any_remote_channel_the_router_is_local(
    make_router: RouterFactory, terminal: io.StringIO
) -> None:
    router = make_router(environ={})
    assert router.channels == ("desktop",)
    router.send(make_alert("warning"))
    router.send(make_alert("none"))
    assert "WARNING car-loan-default" in terminal.getvalue()
    assert "RECOVERED car-loan-default" in terminal.getvalue()


def test_warning_falls_back_to_the_terminal_when_only_pagerduty_is_configured(
    receiver: Receiver, make_router: RouterFactory, terminal: io.StringIO
) -> None:
    router = make_router(pagerduty=receiver)
    assert router.send(make_alert("warning")).decisions[0].channels == ("desktop",)
    assert router.send(make_alert("critical", feature="x")).decisions[0].channels == ("pagerduty",)
    assert "WARNING" in terminal.getvalue()


def test_silence_suppresses_triggers_but_not_the_recovery(
    receiver: Receiver, make_router: RouterFactory, clock: FakeClock
) -> None:
    router = make_router(slack=receiver, pagerduty=receiver, clock=clock, cooldown_seconds=60)
    router.send(make_alert("critical"))
    until = router.silence(make_alert(), duration=timedelta(hours=2), reason="retraining")
    assert until == clock.now + timedelta(hours=2)
    clock.advance(minutes=30)
    assert router.send(make_alert("critical")).decisions[0].outcome == "silenced"
    assert router.send(make_alert("none")).decisions[0].outcome == "recovered"
    clock.advance(hours=2)
    assert router.send(make_alert("critical")).decisions[0].outcome == "new"
    assert [r.json["event_action"] for r in receiver.accepted("pagerduty")] == [
        "trigger",
        "resolve",
        "trigger",
    ]


def test_silence_needs_a_reason_and_can_be_lifted(make_router: RouterFactory) -> None:
    router = make_router(environ={})
    with pytest.raises(AlertError, match="expected a reason"):
        router.silence(make_alert(), duration=timedelta(hours=1), reason=" ")
    with pytest.raises(AlertError, match="expected a positive duration"):
        router.silence(make_alert(), duration=timedelta(0), reason="x")
    router.silence(make_alert(), duration=timedelta(hours=1), reason="x")
    assert router.send(make_alert()).decisions[0].outcome == "silenced"
    assert router.unsilence(make_alert()) is True
    assert router.send(make_alert()).decisions[0].outcome == "new"


def test_send_rejects_things_that_are_not_alerts(make_router: RouterFactory) -> None:
    router = make_router(environ={})
    with pytest.raises(AlertError, match="expected Alert objects, got dict"):
        router.send([{"model": "m"}])  # type: ignore[list-item]
