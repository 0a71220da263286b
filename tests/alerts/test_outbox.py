"""The persistent outbox: nothing is lost while a receiver is down; order and state persist."""

from __future__ import annotations

import socket
import sqlite3
from pathlib import Path

import pytest

from glassbox.alerts import AlertError
from glassbox.alerts._outbox import Outbox

from ._receiver import Receiver
from .conftest import FakeClock, RouterFactory, make_alert


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class _Down:
    """A receiver address where nothing listens (connection refused)."""

    def __init__(self, port: int) -> None:
        self.port = port

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"


def test_receiver_down_alert_stays_in_outbox_and_a_later_run_delivers_it(
    make_router: RouterFactory, tmp_path: Path
) -> None:
    port = _free_port()
    down = _Down(port)
    first_run = make_router(slack=down, pagerduty=down)
    report = first_run.send(make_alert("critical"))
    assert report.flush.delivered == 0
    assert report.flush.pending == 2
    assert set(report.flush.deferred) == {"slack", "pagerduty"}
    rows = first_run.outbox("pending")
    assert {r.channel for r in rows} == {"slack", "pagerduty"}
    assert all(r.attempts == 4 and "Connection refused" in (r.last_error or "") for r in rows)
    first_run.close()

    with Receiver(port) as receiver:
        next_run = make_router(slack=receiver, pagerduty=receiver)
        flushed = next_run.flush()
        assert (flushed.delivered, flushed.pending) == (2, 0)
        assert sorted(r.channel for r in receiver.accepted()) == ["pagerduty", "slack"]
        assert next_run.status().delivered == 2
        # and the decision was kept: the same alert is not news in this run
        assert next_run.send(make_alert("critical")).decisions[0].outcome == "suppressed"
        assert len(receiver.accepted()) == 2


def test_trigger_and_resolve_are_delivered_in_order_after_an_outage(
    make_router: RouterFactory, clock: FakeClock
) -> None:
    port = _free_port()
    router = make_router(pagerduty=_Down(port), clock=clock)
    router.send(make_alert("critical"))
    clock.advance(minutes=10)
    router.send(make_alert("none"))
    assert [r.action for r in router.outbox("pending")] == ["trigger", "resolve"]
    router.close()
    with Receiver(port) as receiver:
        make_router(pagerduty=receiver, clock=clock).flush()
        assert [r.json["event_action"] for r in receiver.accepted()] == ["trigger", "resolve"]


def test_a_stale_outage_is_reported_through_the_other_channel(
    receiver: Receiver, make_router: RouterFactory, clock: FakeClock
) -> None:
    env = {
        "SLACK_WEBHOOK_URL": _Down(_free_port()).url("/services/T/B/stale-secret"),
        "PAGERDUTY_ROUTING_KEY": "k" * 32,
        "GLASSBOX_ALERTS__PAGERDUTY_EVENTS_URL": receiver.url("/v2/enqueue"),
    }
    router = make_router(environ=env, clock=clock, stale_after_seconds=3600)
    router.send(make_alert("warning"))
    assert receiver.accepted() == []  # fresh outage: just retried next run
    clock.advance(hours=2)
    report = router.flush()
    assert report.deferred["slack"].startswith("slack: URLError")
    [page] = receiver.accepted("pagerduty")
    assert page.json["payload"]["class"] == "alert_delivery_failure"
    assert "oldest pending since 2026-03-01 08:00 UTC" in page.json["payload"]["summary"]
    clock.advance(minutes=30)
    router.flush()
    assert len(receiver.accepted("pagerduty")) == 1  # once per cooldown, not every run


def test_delivered_rows_are_pruned_after_the_retention_but_pending_rows_never(
    receiver: Receiver, make_router: RouterFactory, clock: FakeClock
) -> None:
    router = make_router(slack=receiver, clock=clock, retention_days=7)
    router.send(make_alert(feature="a"))
    clock.advance(days=8)
    router.flush()
    assert router.status().delivered == 0


def test_one_flusher_at_a_time_per_state_dir(make_router: RouterFactory, tmp_path: Path) -> None:
    router = make_router(environ={}, lock_timeout_seconds=0.2)
    other = Outbox(tmp_path / "state")
    with other.flush_lock(timeout=1), pytest.raises(AlertError, match="another process"):
        router.flush()
    other.close()
    assert router.flush().ok  # released


def test_a_corrupt_state_file_is_reported_with_its_path(tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir()
    (state / "alerts.sqlite3").write_bytes(b"this is not a database" * 100)
    with pytest.raises(AlertError, match=r"alerts\.sqlite3: cannot open the alert state"):
        Outbox(state)


def test_state_file_uses_wal_and_stores_channel_names_not_secrets(
    receiver: Receiver, make_router: RouterFactory, tmp_path: Path
) -> None:
    router = make_router(slack=receiver, pagerduty=receiver)
    router.send(make_alert("critical"))
    db = sqlite3.connect(tmp_path / "state" / "alerts.sqlite3")
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert sorted(r[0] for r in db.execute("SELECT channel FROM outbox")) == [
        "pagerduty",
        "slack",
    ]
    db.close()


def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    state = tmp_path / "state"
    Outbox(state).close()
    db = sqlite3.connect(state / "alerts.sqlite3")
    db.execute("PRAGMA user_version = 99")
    db.close()
    with pytest.raises(AlertError, match="schema v99 is newer"):
        Outbox(state)


def test_rows_for_a_channel_this_run_lacks_wait_for_a_run_that_has_it(
    receiver: Receiver, make_router: RouterFactory
) -> None:
    down = _Down(_free_port())
    make_router(slack=receiver, pagerduty=down).send(make_alert("critical"))
    slack_only = make_router(slack=receiver)
    report = slack_only.flush()
    assert report.deferred == {"pagerduty": "channel not configured in this run"}
    assert [r.channel for r in slack_only.outbox("pending")] == ["pagerduty"]
    assert make_router(slack=receiver, pagerduty=receiver).flush().ok
    assert [r.json["event_action"] for r in receiver.accepted("pagerduty")] == ["trigger"]


def test_a_flush_stops_at_its_time_budget_and_leaves_the_rest_pending(
    make_router: RouterFactory,
) -> None:
    with Receiver(delay=0.2) as slow:
        router = make_router(slack=slow, flush_budget_seconds=0.3)
        report = router.send([make_alert(feature=f"f{i}") for i in range(4)])
        assert 1 <= report.flush.delivered < 4
        assert report.flush.pending == 4 - report.flush.delivered
        assert report.flush.deferred["*"] == "flush budget of 0.3s spent"
