"""Delivery channels added to the router: a Slack webhook per severity, email over SMTP (a real
aiosmtpd server on 127.0.0.1), and the time to resolve (MTTR) of each recovered alert."""

from __future__ import annotations

import email
import email.policy
import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from glassbox.observability import window_registry

from ._receiver import Receiver
from .conftest import PD_KEY, FakeClock, RouterFactory, make_alert

SMTP_PASSWORD = "smtpMARKERpassword4242"


class _Inbox:
    """aiosmtpd handler: keeps every message it accepts, or rejects with a scripted reply."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.reject_with: str | None = None
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        if self.reject_with:
            return self.reject_with
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.messages.append(parsed)  # type: ignore[arg-type]
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp() -> Iterator[tuple[Controller, _Inbox]]:
    inbox = _Inbox()
    with socket.socket() as probe:  # a free port (aiosmtpd checks readiness by connecting)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield controller, inbox
    finally:
        controller.stop()


def _email(controller: Controller, **extra: Any) -> dict[str, Any]:
    return {
        "host": "127.0.0.1",
        "port": controller.port,
        "security": "none",
        "sender": "glassbox@example.org",
        "to": ["oncall@example.org", "ml@example.org"],
        **extra,
    }


def test_each_severity_goes_to_its_own_slack_channel(
    receiver: Receiver, make_router: RouterFactory
) -> None:
    env = {
        "SLACK_WEBHOOK_URL_WARNING": receiver.url("/services/WARN/x/warnmarker"),
        "SLACK_WEBHOOK_URL_CRITICAL": receiver.url("/services/CRIT/x/critmarker"),
    }
    router = make_router(environ=env)
    assert router.channels == ("desktop", "slack-critical", "slack-warning")
    router.send(make_alert("warning", feature="a"))
    router.send(make_alert("critical", feature="b"))
    paths = [r.path for r in receiver.accepted()]
    assert paths == ["/services/WARN/x/warnmarker", "/services/CRIT/x/critmarker"]


def test_critical_alerts_are_mailed_over_smtp_and_recoveries_close_the_thread(
    smtp: tuple[Controller, _Inbox], make_router: RouterFactory, clock: FakeClock
) -> None:
    controller, inbox = smtp
    router = make_router(environ={}, clock=clock, email=_email(controller))
    router.send(make_alert("warning", feature="w"))  # below min_severity: not mailed
    assert router.channels == ("desktop", "email")
    router.send(make_alert("critical", feature="c"))
    clock.advance(minutes=42)
    report = router.send(make_alert("none", feature="c", summary="PSI back to 0.01"))
    subjects = [m["Subject"] for m in inbox.messages]
    assert subjects == [
        "[Glassbox] CRITICAL car-loan-default: data_drift on c",
        "[Glassbox] RECOVERED car-loan-default: data_drift on c",
    ]
    first = inbox.messages[0]
    assert first["To"] == "oncall@example.org, ml@example.org"
    body = first.get_content()
    assert "PSI 0.31 above the critical threshold" in body
    assert "Runbook: docs/runbook.md#data-drift" in body
    assert first["References"] == inbox.messages[1]["References"]  # one thread per dedup key
    (resolved,) = report.resolved
    assert resolved.resolved_after is not None
    assert resolved.resolved_after.total_seconds() == 42 * 60


def test_a_permanent_smtp_rejection_is_recorded_and_not_retried(
    smtp: tuple[Controller, _Inbox], make_router: RouterFactory
) -> None:
    controller, inbox = smtp
    inbox.reject_with = "554 Transaction failed: policy"
    router = make_router(
        environ={"SMTP_PASSWORD": SMTP_PASSWORD}, email=_email(controller, min_severity="warning")
    )
    report = router.send(make_alert("critical"))
    (failure,) = [f for f in report.flush.failures if f.channel == "email"]
    assert failure.permanent
    assert "554" in failure.error
    assert SMTP_PASSWORD not in failure.error
    assert router.status().failed == 1


def test_time_to_resolve_is_a_prometheus_metric_per_dedup_key(
    receiver: Receiver, make_router: RouterFactory, clock: FakeClock
) -> None:
    router = make_router(slack=receiver, pagerduty=receiver, clock=clock)
    router.send(make_alert("critical", feature="car_value"))
    clock.advance(hours=3)
    report = router.send(make_alert("none", feature="car_value", summary="ok"))
    registry = window_registry("car-loan-default", alerts=report, finished_at=0.0)
    key = make_alert().dedup_key
    value = registry.get_sample_value(
        "glassbox_alert_time_to_resolve_seconds",
        {"model": "car-loan-default", "check": "data_drift", "feature": "car_value",
         "dedup_key": key},
    )  # fmt: skip
    assert value == 3 * 3600
    assert PD_KEY  # the PagerDuty channel was configured: the recovery resolved it there too
    assert sorted(r.json.get("event_action", "slack") for r in receiver.accepted()) == [
        "resolve", "slack", "slack", "trigger",
    ]  # fmt: skip
