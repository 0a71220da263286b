"""The trigger rules evaluated by ``glassbox serve`` on its live metrics: a high error rate rolls
the champion back (the server's follower is poked), a slow p99 pauses shadow scoring (the one
load a server can shed) or says why nothing was done, a pinned server does not move the alias;
every fired rule is announced to a real Slack receiver and counted."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pytest_httpserver import HTTPServer

from glassbox.serving import ServingSettings, VersionRef
from glassbox.serving._access_log import AccessLog
from glassbox.serving._latency import LatencyWindow
from glassbox.serving._metrics import ServingMetrics
from glassbox.serving._triggers import ServerTriggers
from tests.integration._serve import metric_value

from .conftest import MODEL


@dataclass
class Poked:
    count: int = 0

    def poke(self) -> None:
        self.count += 1


@dataclass
class Scorer:
    state: str = "scoring"
    challenger: Any = None
    paused: list[float] = field(default_factory=list)

    def pause(self, seconds: float, reason: str) -> None:
        self.paused.append(seconds)
        self.state = "paused"


@dataclass
class Shadow:
    scorer: Scorer


@dataclass
class Run:
    run_id: str = ""


@dataclass
class Model:
    ref: VersionRef


@dataclass
class FakeService:
    """What ServerTriggers reads of a running server."""

    model: Model
    settings: ServingSettings = field(default_factory=ServingSettings)
    latency: LatencyWindow = field(default_factory=lambda: LatencyWindow(1000))
    last_drift: Any = None
    shadow: Any = None
    follower: Poked = field(default_factory=Poked)
    run: Run = field(default_factory=Run)
    metrics: ServingMetrics = field(default_factory=ServingMetrics)
    access_log: AccessLog = field(default_factory=lambda: AccessLog(enabled=False))


def service(version: str, alias: str | None = "champion") -> FakeService:
    return FakeService(Model(VersionRef(MODEL, version, "run", "f" * 64, alias)))


def load(svc: FakeService, requests: int, seconds: float, errors: int = 0) -> None:
    for i in range(requests):
        svc.latency.add(seconds, error=i < errors)


def sent(slack: HTTPServer) -> str:
    return "\n".join(json.dumps(json.loads(r.get_data())) for r, _ in slack.log)


def promoted(gated: Callable[[str], str]) -> Any:
    from glassbox import delivery
    from glassbox.config import settings

    conf = settings()
    life = delivery.Lifecycle.from_settings(conf.delivery, MODEL, conf.tracking.champion_alias)
    gated("fp1")
    gated("fp2")
    delivery.promote(life, "canary passed")
    return life


def test_live_metrics_are_offered_once_enough_requests_were_served(glassbox_home: Path) -> None:
    svc = service("1")
    triggers = ServerTriggers(svc)  # type: ignore[arg-type]
    load(svc, 99, 0.01)
    assert triggers.metrics() == {}  # below serving.slo.min_requests (100)
    load(svc, 101, 0.01, errors=20)
    values = triggers.metrics()
    assert values["error_rate"] == 20 / 200
    assert abs(values["latency_p99_seconds"] - 0.01) < 1e-9


def test_a_high_error_rate_rolls_the_served_champion_back_and_pokes_the_follower(
    gated: Callable[[str], str], slack: HTTPServer
) -> None:
    life = promoted(gated)
    svc = service("2")
    load(svc, 200, 0.01, errors=30)
    (line,) = ServerTriggers(svc).evaluate()  # type: ignore[arg-type]
    assert line.startswith("error_rate >= 0.05 -> rollback: rollback champion: v2 -> v1")
    assert life.version_of("champion") == "1" and svc.follower.count == 1
    assert "model_rollback" in sent(slack) or "Model rolled back" in sent(slack)
    text = svc.metrics.exposition().decode()
    assert metric_value(text, "glassbox_serving_triggers_fired_total", action="rollback") == 1
    again = ServerTriggers(svc).evaluate()  # type: ignore[arg-type]
    assert again == []  # the rule is cooling down (the same state as the cron's)


def test_a_slow_p99_pauses_shadow_scoring_or_says_why_nothing_was_done(
    gated: Callable[[str], str], slack: HTTPServer
) -> None:
    promoted(gated)
    shadowing = service("2")
    shadowing.shadow = Shadow(Scorer())
    load(shadowing, 200, 0.9)
    (line,) = ServerTriggers(shadowing).evaluate()  # type: ignore[arg-type]
    assert "scale_down: shadow scoring of challenger" in line and "paused for 600 s" in line
    assert shadowing.shadow.scorer.paused == [600.0]
    assert "paused for 600 s on this server" in sent(slack)
    other = service("2")
    other.settings = ServingSettings(triggers={"interval_seconds": 1})
    load(other, 200, 0.9)
    from glassbox.config import settings

    rules = [r.model_copy(update={"cooldown_seconds": 0}) for r in settings().delivery.triggers]
    triggers = ServerTriggers(other)  # type: ignore[arg-type]
    triggers.engine.rules = tuple(rules)
    (line,) = triggers.evaluate()
    assert "scale_down not done: this server shadows no challenger" in line
    assert "no Kubernetes API access" in sent(slack)


def test_a_pinned_server_does_not_move_the_alias_and_says_so(
    gated: Callable[[str], str], slack: HTTPServer
) -> None:
    life = promoted(gated)
    svc = service("2", alias=None)
    load(svc, 200, 0.01, errors=30)
    (line,) = ServerTriggers(svc).evaluate()  # type: ignore[arg-type]
    assert "rollback not done: this server serves models:/car-loan-default/2, not an alias" in line
    assert life.version_of("champion") == "2" and svc.follower.count == 0
    assert "rollback not done" in sent(slack)


def test_the_servers_alert_board_routes_from_its_own_thread(
    slack: HTTPServer, glassbox_home: Path
) -> None:
    """Each routing thread opens (and closes) its own router: the outbox's SQLite connection
    cannot be shared between threads."""
    import os
    import time

    from glassbox.alerts import AlertRouter
    from glassbox.config import settings
    from glassbox.serving._alerts import ActiveAlert, AlertBoard

    section, environ = settings().alerts, dict(os.environ)
    board = AlertBoard(
        "car-loan-default/serving", lambda: AlertRouter.from_env(section, environ=environ)
    )
    board.update([ActiveAlert("serving_errors", "critical", "error rate 30.00% > 5.00%")])
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not slack.log:
        time.sleep(0.1)
    assert "error rate 30.00%" in sent(slack)
