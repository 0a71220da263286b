"""Fixtures for the alert tests: loopback receivers, a controllable clock, router factories."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

import glassbox  # noqa: F401  (telemetry off first)
from glassbox.alerts import Alert, AlertRouter, AlertSettings, DesktopChannel, RetryPolicy

from ._receiver import PD_PATH, Receiver

# Marker secrets: tests grep logs, outbox and errors for them.
SLACK_PATH = "/services/T0MARKER/B0MARKER/slackmarker7f3a9c1e"
PD_KEY = "pdmarkerkey0123456789abcdef01234"  # 32 characters, like a real integration key
FAST_RETRY = RetryPolicy(attempts=4, timeout=10, wait_initial=0.01, wait_max=0.05, wait_jitter=0)

RouterFactory = Callable[..., AlertRouter]


class FakeClock:
    def __init__(self) -> None:
        self.now = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


def channel_env(slack: Receiver | None, pagerduty: Receiver | None) -> dict[str, str]:
    env: dict[str, str] = {}
    if slack is not None:
        env["SLACK_WEBHOOK_URL"] = slack.url(SLACK_PATH)
    if pagerduty is not None:
        env["PAGERDUTY_ROUTING_KEY"] = PD_KEY
        env["GLASSBOX_ALERTS__PAGERDUTY_EVENTS_URL"] = pagerduty.url(PD_PATH)
    return env


def make_alert(severity: str = "warning", **overrides: Any) -> Alert:
    fields: dict[str, Any] = {
        "model": "car-loan-default",
        "check": "data_drift",
        "feature": "car_value",
        "severity": severity,
        "summary": "PSI 0.31 above the critical threshold 0.2",
        "details": {"psi": 0.31, "ks_statistic": 0.12, "threshold": 0.2},
        "mlflow_run_url": "http://127.0.0.1:5000/#/experiments/1/runs/abc123",
        "report_url": "http://127.0.0.1:5000/get-artifact?path=evidently/drift.html&run_id=abc123",
    }
    fields.update(overrides)
    return Alert(**fields)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as server:
        yield server


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def terminal() -> io.StringIO:
    """Where the desktop channel prints when there is no desktop (as on this machine)."""
    return io.StringIO()


@pytest.fixture
def make_router(tmp_path: Path, terminal: io.StringIO) -> Iterator[RouterFactory]:
    routers: list[AlertRouter] = []

    def factory(
        slack: Receiver | None = None,
        pagerduty: Receiver | None = None,
        *,
        clock: Callable[[], datetime] | None = None,
        state_dir: Path | None = None,
        environ: dict[str, str] | None = None,
        **settings: Any,
    ) -> AlertRouter:
        options: dict[str, Any] = {"retry": FAST_RETRY, "http_timeout_seconds": 2.0}
        options.update(settings)
        env = channel_env(slack, pagerduty) if environ is None else environ
        router = AlertRouter.from_env(
            AlertSettings.load(
                {"state_dir": state_dir or tmp_path / "state", **options}, environ=env
            ),
            environ=env,
            desktop=DesktopChannel(stream=terminal),
            clock=clock,
        )
        routers.append(router)
        return router

    yield factory
    for router in routers:
        router.close()
