"""Trigger rules: crossing, worst match, cooldown per rule persisted across processes,
automatic-rollback guardrails, and acting (alert through glassbox.alerts, rollback through the
lifecycle, scale_down to the caller's handler)."""

from __future__ import annotations

import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from glassbox.config import load_settings, settings
from glassbox.delivery import (
    DeliverySettings,
    Lifecycle,
    TriggerEngine,
    TriggerError,
    TriggerRule,
    act,
    history,
)
from glassbox.errors import ConfigError

from .conftest import MODEL

RULES = DeliverySettings().triggers  # the issue's: PSI 0.25 alert / 0.5 rollback, p99, errors


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def engine(tmp_path: Path, clock: Clock, rules: tuple[TriggerRule, ...] = RULES) -> TriggerEngine:
    return TriggerEngine(rules, tmp_path / "state", clock=clock)


def fired(decisions: list) -> list[tuple[str, str, float]]:  # type: ignore[type-arg]
    return [(d.action, d.metric, d.value) for d in decisions if d.fired]


def test_the_default_rules_fire_on_their_thresholds(tmp_path: Path) -> None:
    clock = Clock()
    found = engine(tmp_path, clock).evaluate(
        {"psi.car_value": 0.31, "psi.loan_length": 0.05, "latency_p99_seconds": 0.2,
         "error_rate": 0.01},
        scope=MODEL,
    )  # fmt: skip
    assert fired(found) == [("alert", "psi.car_value", 0.31)]
    assert "psi.car_value 0.31 >= 0.25 -> alert: fired" in found[0].reason
    clock.now += timedelta(hours=2)
    found = engine(tmp_path, clock).evaluate(
        {"psi.car_value": 0.62, "psi.debt_to_income_ratio": 0.7, "latency_p99_seconds": 0.61,
         "error_rate": 0.002},
        scope=MODEL,
    )  # fmt: skip
    assert fired(found) == [
        ("alert", "psi.debt_to_income_ratio", 0.7),  # the worst matching feature
        ("rollback", "psi.debt_to_income_ratio", 0.7),
        ("scale_down", "latency_p99_seconds", 0.61),
    ]


def test_cooldown_per_rule_holds_across_engines_and_ends(tmp_path: Path) -> None:
    clock = Clock()
    metrics = {"psi.car_value": 0.3}
    assert fired(engine(tmp_path, clock).evaluate(metrics, scope=MODEL))
    clock.now += timedelta(minutes=30)
    (quiet,) = engine(tmp_path, clock).evaluate(metrics, scope=MODEL)  # a new process
    assert not quiet.fired
    assert quiet.reason.endswith("cooling down until 2026-03-01T13:00:00+00:00")
    assert fired(engine(tmp_path, clock).evaluate(metrics, scope="other-model"))
    clock.now += timedelta(minutes=31)
    assert fired(engine(tmp_path, clock).evaluate(metrics, scope=MODEL))


def test_automatic_rollbacks_are_limited_per_period(tmp_path: Path) -> None:
    clock = Clock()
    rollbacks = engine(tmp_path, clock).evaluate({"error_rate": 0.2, "psi.x": 0.9}, scope=MODEL)
    by_rule = {d.rule.key: d for d in rollbacks if d.action == "rollback"}
    assert by_rule["psi.* >= 0.5 -> rollback"].fired
    blocked = by_rule["error_rate >= 0.05 -> rollback"]
    assert not blocked.fired
    assert "already 1 automatic rollback(s) in the last 24 h (max 1)" in blocked.reason
    clock.now += timedelta(hours=25)
    again = engine(tmp_path, clock).evaluate({"error_rate": 0.2}, scope=MODEL)
    assert fired(again) == [("rollback", "error_rate", 0.2)]


def test_a_below_rule_picks_the_lowest_value_and_nan_never_fires(tmp_path: Path) -> None:
    rule = TriggerRule(metric="roc_auc.*", op="<", threshold=0.8, action="alert")
    found = engine(tmp_path, Clock(), (rule,)).evaluate(
        {"roc_auc.2026-01": 0.79, "roc_auc.2026-02": 0.7, "roc_auc.2026-03": float("nan")}
    )
    assert fired(found) == [("alert", "roc_auc.2026-02", 0.7)]
    assert found[0].matched == (("roc_auc.2026-01", 0.79), ("roc_auc.2026-02", 0.7))


def test_concurrent_evaluations_fire_a_rule_once(tmp_path: Path) -> None:
    clock = Clock()

    def evaluate(_: int) -> int:
        return len(fired(engine(tmp_path, clock).evaluate({"error_rate": 0.5}, scope=MODEL)))

    with ThreadPoolExecutor(8) as pool:
        assert sum(pool.map(evaluate, range(16))) == 1


def test_bad_rules_and_state_are_clear_errors(tmp_path: Path) -> None:
    config = tmp_path / "glassbox.yaml"
    config.write_text("delivery:\n  triggers:\n    - {metric: psi, threshold: 1, action: reboot}\n")
    with pytest.raises(ConfigError, match=r"delivery\.triggers\.0\.action: Input should be"):
        load_settings(config, environ={})
    config.write_text(
        "delivery:\n  triggers:\n    - {metric: psi, threshold: 1, action: alert}\n"
        "    - {metric: psi, threshold: 1, action: alert}\n"
    )
    with pytest.raises(ConfigError, match=r"rules \['psi >= 1 -> alert'\] are listed twice"):
        load_settings(config, environ={})
    state = tmp_path / "broken"
    state.mkdir()
    (state / "triggers.sqlite3").write_text("not a database")
    with pytest.raises(TriggerError, match="cannot open the trigger state"):
        TriggerEngine(RULES, state)


def promoted(gated: Callable[[str], str]) -> tuple[Any, Lifecycle]:
    """v1 then v2 gated, v2 promoted: a champion with a predecessor to roll back to."""
    from glassbox import delivery

    conf = settings()
    life = Lifecycle.from_settings(conf.delivery, MODEL, conf.tracking.champion_alias)
    gated("fp1")
    gated("fp2")
    delivery.promote(life, "canary passed")
    return conf, life


def test_act_alerts_rolls_back_and_hands_scale_down_over(
    gated: Callable[[str], str], slack: HTTPServer, tmp_path: Path
) -> None:
    conf, life = promoted(gated)
    decisions = engine(tmp_path, Clock()).evaluate(
        {"psi.car_value": 0.7, "latency_p99_seconds": 0.9}, scope=MODEL
    )
    shed: list[str] = []
    lines = act(
        decisions, life, alerts_section=conf.alerts,
        handlers={"scale_down": lambda d: shed.append(d.metric) or "canary traffic shed"},
    )  # fmt: skip
    assert lines[0].startswith("psi.* >= 0.25 -> alert: alert new")
    assert lines[1].startswith("psi.* >= 0.5 -> rollback: rollback champion: v2 -> v1")
    assert lines[2].startswith(
        "latency_p99_seconds >= 0.5 -> scale_down: canary traffic shed; alert new"
    )
    assert shed == ["latency_p99_seconds"]
    moves = history(life.experiment, MODEL)
    assert (moves[-1].action, moves[-1].actor) == ("rollback", "glassbox-trigger")
    assert "psi.car_value 0.7 >= 0.5 -> rollback" in moves[-1].reason
    sent = "\n".join(json.dumps(json.loads(r.get_data())) for r, _ in slack.log)
    assert "Delivery trigger fired" in sent or "delivery_trigger" in sent
    assert "Model rolled back" in sent or "model_rollback" in sent
    assert "(canary traffic shed)" in sent  # the alert says what the handler did
    (unhandled,) = act(decisions[2:], life, alerts_section=conf.alerts)
    # the same alert as a moment ago (the outbox's own cooldown suppresses it), saying why
    assert unhandled == (
        "latency_p99_seconds >= 0.5 -> scale_down: alert suppressed "
        "(action 'scale_down' has no handler here: a person must)"
    )


def test_a_rollback_is_not_done_when_the_champion_moved_and_the_alert_says_why(
    gated: Callable[[str], str], slack: HTTPServer, tmp_path: Path
) -> None:
    conf, life = promoted(gated)
    decisions = engine(tmp_path, Clock()).evaluate({"error_rate": 0.2}, scope=MODEL)
    (line,) = act(decisions, life, alerts_section=conf.alerts, expected_champion="1")
    assert line.startswith(
        "error_rate >= 0.05 -> rollback: rollback not done: @champion is v2 now, not the v1 "
        "these metrics were measured on"
    )
    assert life.version_of("champion") == "2"  # nothing moved
    sent = "\n".join(json.dumps(json.loads(r.get_data())) for r, _ in slack.log)
    assert "rollback not done" in sent
