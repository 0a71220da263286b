"""Retries: Retry-After honoured for real, 5xx and timeouts retried, 4xx permanent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from glassbox.alerts import RetryPolicy, parse_retry_after

from ._receiver import PD_PATH, SLACK_PREFIX, Receiver, Reply
from .conftest import RouterFactory, make_alert

# Real (not testing-mode) backoff for the timing tests, but small initial waits.
REAL_WAITS = RetryPolicy(attempts=3, timeout=20, wait_initial=0.05, wait_max=0.2, wait_jitter=0)


def test_429_retry_after_one_second_is_honoured(
    receiver: Receiver, make_router: RouterFactory
) -> None:
    receiver.script(PD_PATH, Reply(429, b'{"status":"throttle"}', {"Retry-After": "1"}))
    router = make_router(pagerduty=receiver, retry=REAL_WAITS)
    report = router.send(make_alert("critical"))
    first, second = receiver.requests
    assert (first.status, second.status) == (429, 202)
    gap = second.at - first.at
    assert 1.0 <= gap < 2.5, f"retry came {gap:.3f}s after the 429 (Retry-After: 1)"
    assert first.body == second.body
    assert report.flush.ok
    [row] = router.outbox("delivered")
    assert row.attempts == 2


def test_503_retry_after_is_honoured_too(receiver: Receiver, make_router: RouterFactory) -> None:
    receiver.script(SLACK_PREFIX, Reply(503, b"unavailable", {"Retry-After": "1"}))
    router = make_router(slack=receiver, retry=REAL_WAITS)
    router.send(make_alert())
    first, second = receiver.requests
    assert (first.status, second.status) == (503, 200)
    assert second.at - first.at >= 1.0


def test_5xx_are_retried_with_backoff_until_accepted(
    receiver: Receiver, make_router: RouterFactory
) -> None:
    receiver.script(SLACK_PREFIX, Reply(500, b"rollup_error"), Reply(502, b""), Reply(504, b""))
    router = make_router(slack=receiver)
    report = router.send(make_alert())
    assert [r.status for r in receiver.requests] == [500, 502, 504, 200]
    assert report.flush.ok
    assert router.outbox("delivered")[0].attempts == 4


def test_a_timeout_is_retried(receiver: Receiver, make_router: RouterFactory) -> None:
    receiver.script(PD_PATH, Reply(202, b"{}", delay=1.0))
    router = make_router(pagerduty=receiver, http_timeout_seconds=0.3)
    report = router.send(make_alert("critical"))
    assert report.flush.ok
    [row] = router.outbox("delivered")
    assert row.attempts == 2
    # the slow first request may still land after the client gave up: at-least-once
    assert {r.dedup_key for r in receiver.accepted()} == {make_alert().dedup_key}


def test_retries_are_bounded_and_the_row_stays_pending_with_its_last_error(
    receiver: Receiver, make_router: RouterFactory
) -> None:
    receiver.script(SLACK_PREFIX, *[Reply(500, b"rollup_error")] * 10)
    router = make_router(slack=receiver)
    report = router.send(make_alert())
    assert len(receiver.requests) == 4  # FAST_RETRY.attempts
    assert report.flush.pending == 1
    assert report.flush.deferred == {"slack": "slack: HTTP 500: rollup_error"}
    [row] = router.outbox("pending")
    assert (row.attempts, row.last_error) == (4, "slack: HTTP 500: rollup_error")


def test_4xx_is_permanent_recorded_surfaced_and_not_retried(
    receiver: Receiver, make_router: RouterFactory
) -> None:
    receiver.script(SLACK_PREFIX, Reply(404, b"no_service"))
    router = make_router(slack=receiver, pagerduty=receiver)
    report = router.send(make_alert("warning"))
    [failure] = report.flush.failed
    assert (failure.channel, failure.permanent) == ("slack", True)
    assert failure.error == "slack: HTTP 404: no_service"
    [row] = router.outbox("failed")
    assert row.attempts == 1
    # the failing channel is reported through the other one (PagerDuty), once
    [page] = receiver.accepted("pagerduty")
    assert page.json["payload"]["class"] == "alert_delivery_failure"
    assert page.json["payload"]["custom_details"]["feature"] == "slack"
    assert "HTTP 404: no_service" in page.json["payload"]["summary"]
    router.flush()
    assert len([r for r in receiver.requests if r.channel == "slack"]) == 1  # not retried

    # fixed (new webhook): requeue, deliver, and the delivery-failure page resolves
    assert router.requeue_failed() == 1
    assert router.flush().ok
    slack = [r for r in receiver.requests if r.channel == "slack"]
    assert [r.status for r in slack] == [404, 200]
    assert [r.json["event_action"] for r in receiver.accepted("pagerduty")] == [
        "trigger",
        "resolve",
    ]


def test_a_retry_after_beyond_the_policy_defers_to_the_next_run(
    receiver: Receiver, make_router: RouterFactory
) -> None:
    receiver.script(SLACK_PREFIX, Reply(429, b"rate_limited", {"Retry-After": "3600"}))
    router = make_router(slack=receiver)
    report = router.send(make_alert())
    assert len(receiver.requests) == 1
    assert "Retry-After 3600s" in report.flush.deferred["slack"]
    assert router.flush().ok  # next run: accepted
    assert len(receiver.accepted("slack")) == 1


@pytest.mark.parametrize(
    ("header", "expected"),
    [("7", 7.0), ("0", 0.0), (None, None), ("soon", None), ("", None)],
)
def test_parse_retry_after_seconds(header: str | None, expected: float | None) -> None:
    assert parse_retry_after(header) == expected


def test_parse_retry_after_http_date() -> None:
    now = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
    header = format_datetime(now + timedelta(seconds=30), usegmt=True)
    assert parse_retry_after(header, now=now.timestamp()) == pytest.approx(30.0)
    past = format_datetime(now - timedelta(seconds=30), usegmt=True)
    assert parse_retry_after(past, now=now.timestamp()) == 0.0
