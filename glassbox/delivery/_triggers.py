"""Trigger rules: ``{metric, threshold, action}`` evaluated against metric values -> decisions.

``TriggerEngine(rules, state_dir).evaluate(metrics, scope=model)`` returns one
``TriggerDecision`` per rule whose threshold is crossed, on the worst matching value (a rule's
``metric`` may be a glob: ``psi.*`` matches every feature's PSI). A crossed rule *fires* unless
it fired for the same scope within its ``cooldown_seconds``; a ``rollback`` also needs the
automatic-rollback guardrails (at most ``max_per_period`` per ``period_hours`` and scope). Fired
decisions are recorded in ``triggers.sqlite3`` under the state directory (one transaction per
evaluation, WAL), so cooldowns hold across processes and restarts.

The engine decides; acting is the caller's: ``act`` sends ``alert`` decisions through
glassbox.alerts (whose outbox adds its own dedupe and cooldown per dedup key), performs
``rollback`` with ``glassbox.delivery.rollback`` and hands anything else (``scale_down``: shed
the challenger's traffic, a serving-side action) to the handler the caller gives, or reports it.
"""

from __future__ import annotations

import fnmatch
import math
import sqlite3
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from glassbox.delivery._errors import DeliveryError, TriggerError
from glassbox.delivery._settings import RollbackGuard, TriggerRule

if TYPE_CHECKING:
    from glassbox.alerts import AlertSettings
    from glassbox.delivery._lifecycle import Lifecycle

    Alerts = AlertSettings | Mapping[str, Any] | None

DB_NAME = "triggers.sqlite3"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS fired (
    rule TEXT NOT NULL,
    scope TEXT NOT NULL,
    action TEXT NOT NULL,
    metric TEXT NOT NULL,
    value REAL NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS fired_by_rule ON fired (rule, scope, at);
"""
_BELOW = frozenset({"<", "<="})
_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class TriggerDecision:
    rule: TriggerRule
    scope: str
    metric: str
    value: float
    fired: bool
    reason: str
    matched: tuple[tuple[str, float], ...]

    @property
    def action(self) -> str:
        return self.rule.action


def _crossed(value: float, rule: TriggerRule) -> bool:
    return {
        ">=": value >= rule.threshold,
        ">": value > rule.threshold,
        "<=": value <= rule.threshold,
        "<": value < rule.threshold,
    }[rule.op]


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


class TriggerEngine:
    def __init__(
        self,
        rules: Sequence[TriggerRule],
        state_dir: Path,
        *,
        guard: RollbackGuard | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.rules = tuple(rules)
        self.guard = guard or RollbackGuard()
        self.path = Path(state_dir) / DB_NAME
        self._clock = clock or (lambda: datetime.now(UTC))
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._create()
        except (OSError, sqlite3.DatabaseError) as exc:
            raise TriggerError(f"{self.path}: cannot open the trigger state ({exc})") from None

    def _create(self) -> None:
        """WAL mode (kept by the file) and the table. Switching the journal mode answers
        "database is locked" at once, without SQLite's busy wait, while another process or
        thread is creating the same file: retried for up to the connection timeout."""
        deadline = time.monotonic() + _TIMEOUT_S
        while True:
            try:
                with self._db() as db:
                    db.execute("PRAGMA journal_mode=WAL")
                    db.executescript(_SCHEMA)
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() >= deadline:
                    raise
                time.sleep(0.05)

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=_TIMEOUT_S, isolation_level=None)
        try:
            yield db
        finally:
            db.close()

    def evaluate(self, metrics: Mapping[str, float], *, scope: str = "") -> list[TriggerDecision]:
        """Decisions for the crossed rules; the fired ones are recorded (one transaction)."""
        now = self._clock()
        decisions: list[TriggerDecision] = []
        with self._db() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                for rule in self.rules:
                    found = self._decide(db, rule, metrics, scope, now)
                    if found is None:
                        continue
                    if found.fired:
                        db.execute(
                            "INSERT INTO fired (rule, scope, action, metric, value, at)"
                            " VALUES (?, ?, ?, ?, ?, ?)",
                            (rule.key, scope, rule.action, found.metric, found.value, _iso(now)),
                        )
                    decisions.append(found)
                db.execute("DELETE FROM fired WHERE at < ?", (_iso(now - timedelta(days=90)),))
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
        return decisions

    def _decide(
        self,
        db: sqlite3.Connection,
        rule: TriggerRule,
        metrics: Mapping[str, float],
        scope: str,
        now: datetime,
    ) -> TriggerDecision | None:
        matched = {
            name: float(value)
            for name, value in metrics.items()
            if fnmatch.fnmatchcase(name, rule.metric) and math.isfinite(float(value))
        }
        crossed = {name: value for name, value in matched.items() if _crossed(value, rule)}
        if not crossed:
            return None
        pick = min if rule.op in _BELOW else max
        metric = pick(crossed, key=crossed.__getitem__)
        value = crossed[metric]
        fired, reason = self._allowed(db, rule, scope, now)
        text = f"{metric} {value:.4g} {rule.op} {rule.threshold:g} -> {rule.action}"
        return TriggerDecision(
            rule, scope, metric, value, fired, f"{text}: {reason}", tuple(sorted(crossed.items()))
        )

    def _allowed(
        self, db: sqlite3.Connection, rule: TriggerRule, scope: str, now: datetime
    ) -> tuple[bool, str]:
        last = db.execute(
            "SELECT MAX(at) FROM fired WHERE rule = ? AND scope = ?", (rule.key, scope)
        ).fetchone()[0]
        if last is not None:
            until = datetime.fromisoformat(last) + timedelta(seconds=rule.cooldown_seconds)
            if now < until:
                return False, f"cooling down until {until.isoformat(timespec='seconds')}"
        if rule.action == "rollback":
            if not self.guard.enabled:
                return False, "automatic rollback disabled (delivery.automatic_rollback)"
            since = now - timedelta(hours=self.guard.period_hours)
            count = db.execute(
                "SELECT COUNT(*) FROM fired WHERE action = 'rollback' AND scope = ? AND at >= ?",
                (scope, _iso(since)),
            ).fetchone()[0]
            if count >= self.guard.max_per_period:
                return False, (
                    f"already {count} automatic rollback(s) in the last "
                    f"{self.guard.period_hours:g} h (max {self.guard.max_per_period})"
                )
        return True, "fired"


Handler = Callable[[TriggerDecision], str]


def act(
    decisions: Sequence[TriggerDecision],
    life: Lifecycle | None,
    *,
    alerts_section: Alerts = None,
    handlers: Mapping[str, Handler] | None = None,
    run_url: str | None = None,
    guard: RollbackGuard | None = None,
    expected_champion: str | None = None,
) -> list[str]:
    """Carry out the fired decisions; one line per decision saying what happened.

    Every fired decision is announced: a rollback done by its decision's alert, anything else
    (an alert rule, an action a ``handlers`` entry carried out, an action that could not be
    done) by a ``delivery_trigger`` alert saying what was and was not done.
    ``expected_champion``: roll back only if ``@champion`` still points at this version (the
    one the metrics were measured on), so several evaluators never roll back twice."""
    guard = guard or RollbackGuard()
    lines = []
    for decision in decisions:
        if not decision.fired:
            lines.append(f"{decision.rule.key}: not fired: {decision.reason}")
            continue
        custom = (handlers or {}).get(decision.action)
        if custom is not None:
            outcome = custom(decision)
            alert = _alert(decision, alerts_section, run_url, outcome)
            lines.append(f"{decision.rule.key}: {outcome}; {alert}")
        elif decision.action == "rollback" and life is not None:
            result = _rollback(decision, life, alerts_section, guard, expected_champion)
            if result.startswith("rollback not done"):
                result += "; " + _alert(decision, alerts_section, run_url, result)
            lines.append(f"{decision.rule.key}: {result}")
        else:
            lines.append(f"{decision.rule.key}: {_alert(decision, alerts_section, run_url)}")
    return lines


def _rollback(
    decision: TriggerDecision,
    life: Lifecycle,
    alerts_section: Alerts,
    guard: RollbackGuard,
    expected_champion: str | None = None,
) -> str:
    from glassbox.delivery._lifecycle import announce, rollback

    if expected_champion is not None:
        current = life.version_of(life.champion_alias)
        if current != expected_champion:
            return (
                f"rollback not done: @{life.champion_alias} is v{current} now, not the "
                f"v{expected_champion} these metrics were measured on (moved meanwhile)"
            )
    age = _champion_age(life)
    if age is not None and age > timedelta(hours=guard.max_champion_age_hours):
        return (
            f"rollback not done: the champion has served {age.total_seconds() / 3600:.0f} h, "
            f"longer than {guard.max_champion_age_hours:g} h (automatic_rollback."
            "max_champion_age_hours): retrain rather than restore an older model"
        )
    try:
        move = rollback(life, f"trigger {decision.reason}", actor="glassbox-trigger")
    except DeliveryError as exc:
        return f"rollback not done: {exc}"
    return f"{move.describe()} (decision run {move.run_id}); " + announce(
        move, "critical", alerts_section
    )


def _champion_age(life: Lifecycle) -> timedelta | None:
    """How long the current champion has held the alias (None: no record of its move)."""
    from glassbox.delivery._records import history

    champion = life.version_of(life.champion_alias)
    moves = [
        m
        for m in history(life.experiment, life.model)
        if m.status == "FINISHED" and m.alias == life.champion_alias and m.to_version == champion
    ]
    return datetime.now(UTC) - moves[-1].at if moves else None


def _alert(
    decision: TriggerDecision,
    alerts_section: Alerts,
    run_url: str | None,
    outcome: str | None = None,
) -> str:
    from glassbox.alerts import Alert, AlertError, AlertRouter

    action = decision.action
    if outcome is not None:
        note = f" ({outcome})"
    elif action == "alert":
        note = ""
    else:
        note = f" (action '{action}' has no handler here: a person must)"
    try:
        alert = Alert(
            model=decision.scope or "glassbox",
            check="delivery_trigger",
            feature=decision.rule.key[:200],
            severity=decision.rule.alert_severity,
            summary=f"trigger {decision.reason}{note}"[:4000],
            details={
                "metric": decision.metric[:200],
                "value": decision.value,
                "threshold": decision.rule.threshold,
                "action": action,
                "outcome": (outcome or ("alerted" if action == "alert" else "not handled"))[:200],
            },
            mlflow_run_url=run_url,
        )
        with AlertRouter.from_env(alerts_section) as router:
            report = router.send(alert)
    except AlertError as exc:
        return f"alert not sent: {exc}"
    return f"alert {report.decisions[0].outcome}{note}"
