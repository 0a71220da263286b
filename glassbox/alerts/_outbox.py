"""The persistent outbox and alert state: one SQLite file (WAL) shared by successive runs.

``outbox`` holds one row per (alert, channel) to deliver; ``open_alerts`` remembers, per dedup
key, what was last sent (for cooldown, escalation and recovery). Both change in one transaction,
so a run that dies half-way leaves either the whole decision or none of it.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from glassbox.alerts._channel import Action
from glassbox.alerts._errors import AlertError
from glassbox.alerts._model import Alert, Severity

DB_NAME = "alerts.sqlite3"
LOCK_NAME = "alerts.lock"
SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    dedup_key TEXT NOT NULL,
    channel TEXT NOT NULL,
    action TEXT NOT NULL CHECK (action IN ('trigger', 'resolve')),
    alert_json TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    created_at TEXT NOT NULL,
    last_attempt_at TEXT,
    delivered_at TEXT
);
CREATE INDEX IF NOT EXISTS outbox_by_status ON outbox (status, id);
CREATE TABLE IF NOT EXISTS open_alerts (
    dedup_key TEXT PRIMARY KEY,
    severity TEXT NOT NULL CHECK (severity IN ('warning', 'critical')),
    channels TEXT NOT NULL,
    opened_at TEXT NOT NULL,
    last_sent_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS silences (
    dedup_key TEXT PRIMARY KEY,
    until TEXT NOT NULL,
    reason TEXT NOT NULL
);
"""


@dataclass(frozen=True)
class OutboxRow:
    id: int
    dedup_key: str
    channel: str
    action: Action
    alert: Alert
    status: str
    attempts: int
    last_error: str | None


@dataclass(frozen=True)
class OpenAlert:
    """What was last sent for a dedup key that has not recovered yet."""

    dedup_key: str
    severity: Severity
    channels: frozenset[str]
    opened_at: datetime
    last_sent_at: datetime


@dataclass(frozen=True)
class OutboxStatus:
    pending: int
    delivered: int
    failed: int
    oldest_pending: datetime | None


def _iso(moment: datetime) -> str:
    """Fixed-width UTC timestamps, so SQL string comparison is time comparison."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


class Outbox:
    """SQLite outbox + alert state under ``state_dir`` (created if missing)."""

    def __init__(self, state_dir: Path | str) -> None:
        self.state_dir = Path(state_dir)
        self.path = self.state_dir / DB_NAME
        try:
            self.state_dir.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, timeout=30.0, isolation_level=None)
        except (sqlite3.DatabaseError, OSError) as exc:
            raise AlertError(f"{self.path}: cannot open the alert state database: {exc}") from None
        try:
            self._prepare()
        except BaseException as exc:
            self._db.close()
            if isinstance(exc, sqlite3.DatabaseError):
                raise AlertError(
                    f"{self.path}: cannot open the alert state database: {exc}"
                ) from None
            raise

    def _prepare(self) -> None:
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise AlertError(
                f"{self.path}: alert state schema v{version} is newer than this "
                f"Glassbox (v{SCHEMA_VERSION}); upgrade Glassbox"
            )
        self._db.executescript(_SCHEMA)
        self._db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def close(self) -> None:
        self._db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """``BEGIN IMMEDIATE`` ... ``COMMIT`` (rolled back if the block raises)."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    @contextmanager
    def flush_lock(self, timeout: float) -> Iterator[None]:
        """One flusher at a time per state dir (the OS releases it if the process dies)."""
        fd = os.open(self.state_dir / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            deadline = time.monotonic() + timeout
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise AlertError(
                            f"{self.state_dir / LOCK_NAME}: another process is delivering "
                            f"alerts from this state dir (waited {timeout:.0f}s)"
                        ) from None
                    time.sleep(0.05)
            yield
        finally:
            os.close(fd)  # closing the descriptor releases the lock

    # -- alert state (called inside transaction()) ---------------------------------------------

    @staticmethod
    def open_alert(db: sqlite3.Connection, dedup_key: str) -> OpenAlert | None:
        row = db.execute(
            "SELECT severity, channels, opened_at, last_sent_at FROM open_alerts"
            " WHERE dedup_key = ?",
            (dedup_key,),
        ).fetchone()
        if row is None:
            return None
        return OpenAlert(
            dedup_key=dedup_key,
            severity=Severity(row[0]),
            channels=frozenset(filter(None, row[1].split(","))),
            opened_at=datetime.fromisoformat(row[2]),
            last_sent_at=datetime.fromisoformat(row[3]),
        )

    def find_open(self, dedup_key: str) -> OpenAlert | None:
        """The open state of a key, read outside any write transaction."""
        return self.open_alert(self._db, dedup_key)

    @staticmethod
    def save_open_alert(db: sqlite3.Connection, state: OpenAlert) -> None:
        db.execute(
            "INSERT INTO open_alerts (dedup_key, severity, channels, opened_at, last_sent_at)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (dedup_key) DO UPDATE SET"
            " severity = excluded.severity, channels = excluded.channels,"
            " last_sent_at = excluded.last_sent_at",
            (
                state.dedup_key,
                state.severity.value,
                ",".join(sorted(state.channels)),
                _iso(state.opened_at),
                _iso(state.last_sent_at),
            ),
        )

    @staticmethod
    def close_alert(db: sqlite3.Connection, dedup_key: str) -> None:
        db.execute("DELETE FROM open_alerts WHERE dedup_key = ?", (dedup_key,))

    @staticmethod
    def silenced_until(db: sqlite3.Connection, dedup_key: str, now: datetime) -> datetime | None:
        row = db.execute(
            "SELECT until FROM silences WHERE dedup_key = ? AND until > ?",
            (dedup_key, _iso(now)),
        ).fetchone()
        return None if row is None else datetime.fromisoformat(row[0])

    def silence(self, dedup_key: str, until: datetime, reason: str) -> None:
        self._db.execute(
            "INSERT INTO silences (dedup_key, until, reason) VALUES (?, ?, ?)"
            " ON CONFLICT (dedup_key) DO UPDATE SET until = excluded.until,"
            " reason = excluded.reason",
            (dedup_key, _iso(until), reason),
        )

    def unsilence(self, dedup_key: str) -> bool:
        cursor = self._db.execute("DELETE FROM silences WHERE dedup_key = ?", (dedup_key,))
        return cursor.rowcount > 0

    @staticmethod
    def enqueue(
        db: sqlite3.Connection, alert: Alert, channel: str, action: Action, now: datetime
    ) -> int:
        cursor = db.execute(
            "INSERT INTO outbox (dedup_key, channel, action, alert_json, created_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (alert.dedup_key, channel, action, alert.to_json(), _iso(now)),
        )
        return int(cursor.lastrowid or 0)

    # -- delivery bookkeeping (each call is its own transaction) --------------------------------

    def pending(self) -> list[OutboxRow]:
        rows = self._db.execute(
            "SELECT id, dedup_key, channel, action, alert_json, status, attempts, last_error"
            " FROM outbox WHERE status = 'pending' ORDER BY id"
        ).fetchall()
        return [self._row(row) for row in rows]

    def _row(self, row: tuple[object, ...]) -> OutboxRow:
        try:
            alert = Alert.from_json(str(row[4]))
        except AlertError as exc:
            raise AlertError(f"{self.path}: outbox row {row[0]}: {exc}") from None
        return OutboxRow(
            id=int(str(row[0])),
            dedup_key=str(row[1]),
            channel=str(row[2]),
            action="resolve" if row[3] == "resolve" else "trigger",
            alert=alert,
            status=str(row[5]),
            attempts=int(str(row[6])),
            last_error=None if row[7] is None else str(row[7]),
        )

    def rows(self, status: str | None = None) -> list[OutboxRow]:
        """Every row (or those with ``status``), oldest first: for inspection and reports."""
        query = (
            "SELECT id, dedup_key, channel, action, alert_json, status, attempts, last_error"
            " FROM outbox"
        )
        args: tuple[str, ...] = ()
        if status is not None:
            query += " WHERE status = ?"
            args = (status,)
        return [self._row(row) for row in self._db.execute(query + " ORDER BY id", args)]

    def record(
        self, row_id: int, *, status: str, attempts: int, error: str | None, now: datetime
    ) -> None:
        """Store the outcome of this run's attempts on one row."""
        delivered_at = _iso(now) if status == "delivered" else None
        self._db.execute(
            "UPDATE outbox SET status = ?, attempts = attempts + ?, last_error = ?,"
            " last_attempt_at = ?, delivered_at = ? WHERE id = ?",
            (status, attempts, error, _iso(now), delivered_at, row_id),
        )

    def requeue_failed(self) -> int:
        """Put permanently failed rows back to pending (after fixing the cause)."""
        cursor = self._db.execute("UPDATE outbox SET status = 'pending' WHERE status = 'failed'")
        return cursor.rowcount

    def prune(self, before: datetime) -> int:
        """Delete delivered rows older than ``before``; pending and failed rows are kept."""
        cursor = self._db.execute(
            "DELETE FROM outbox WHERE status = 'delivered' AND delivered_at < ?",
            (_iso(before),),
        )
        return cursor.rowcount

    def status(self) -> OutboxStatus:
        counts = dict(
            self._db.execute("SELECT status, COUNT(*) FROM outbox GROUP BY status").fetchall()
        )
        oldest = self._db.execute(
            "SELECT MIN(created_at) FROM outbox WHERE status = 'pending'"
        ).fetchone()[0]
        return OutboxStatus(
            pending=counts.get("pending", 0),
            delivered=counts.get("delivered", 0),
            failed=counts.get("failed", 0),
            oldest_pending=None if oldest is None else datetime.fromisoformat(oldest),
        )

    def oldest_pending_by_channel(self) -> dict[str, datetime]:
        rows = self._db.execute(
            "SELECT channel, MIN(created_at) FROM outbox WHERE status = 'pending' GROUP BY channel"
        ).fetchall()
        return {str(channel): datetime.fromisoformat(oldest) for channel, oldest in rows}
