"""Closed audit segments → the serving run in MLflow, in order, retried until they are there.

The uploader thread finalises each closed segment (audit table + manifest, checked with
``verify_chain``), logs it with ``glassbox.audit.log_segment`` and marks it ``LOGGED``; only the
newest ``keep_logged_segments`` logged segments stay on the volume. At start it also takes over
what a previous process left behind (that process is gone: the audit directory is locked): its
open segment is recovered, its closed segments are logged to *its* run, and that run, if still
marked running, is ended ``KILLED`` (every live server leaves a marker ``runs/<run id>`` in the
audit directory until it ends its run, so a run killed before its first record is ended too).
"""

from __future__ import annotations

import logging
import shutil
import threading
from collections.abc import Callable
from pathlib import Path

from glassbox.serving._offload import Offload
from glassbox.serving._segment_files import (
    CLOSED,
    LOGGED,
    REQUESTS,
    SegmentHeader,
    all_segments,
    finalize,
    recover,
    runs_on_disk,
    write_durably,
)

log = logging.getLogger("glassbox.serving")
RUNS = "runs"


class Uploader(threading.Thread):
    """Logs closed segments; ``notify`` wakes it, ``stop`` drains what it can by a deadline."""

    def __init__(
        self,
        root: Path,
        current_run_id: str,
        key: bytes | None,
        *,
        keep: int,
        retry_seconds: float,
        on_logged: Callable[[SegmentHeader, int], None] | None = None,
        offload: Offload | None = None,
    ) -> None:
        super().__init__(name="glassbox-audit-uploader", daemon=True)
        self.root = root
        self.current_run_id = current_run_id
        self._key = key
        self._keep = keep
        self._retry = retry_seconds
        self._on_logged = on_logged
        self._offload = offload
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self.logged = 0
        self.failures = 0
        self.problems: list[str] = []

    def notify(self, _folder: Path | None = None) -> None:
        self._wake.set()

    def recover_previous(self) -> list[str]:
        """Close what a killed process left open; the run ids of the killed processes."""
        for folder in all_segments(self.root):
            recover(folder)
        return sorted(p.name for p in (self.root / RUNS).glob("*") if p.name != self.current_run_id)

    def mark_running(self) -> None:
        """This process serves ``current_run_id`` (removed by ``mark_ended``)."""
        (self.root / RUNS).mkdir(exist_ok=True)
        write_durably(self.root / RUNS / self.current_run_id, b"running\n")

    def mark_ended(self) -> None:
        (self.root / RUNS / self.current_run_id).unlink(missing_ok=True)

    def run(self) -> None:
        while not self._stopping.is_set():
            self._wake.wait(self._retry)
            self._wake.clear()
            self.drain()

    def drain(self) -> bool:
        """Log every closed, unlogged segment, in order per run; False if one failed."""
        with self._lock:
            for _, folders in runs_on_disk(self.root):
                for folder in folders:
                    if (folder / LOGGED).exists():
                        continue
                    if not (folder / CLOSED).exists():
                        break  # this run's open segment: later ones cannot be logged yet
                    if not self._log(folder):
                        return False
            self._end_dead_runs()
            self._prune()
            return True

    def _end_dead_runs(self) -> None:
        """End the runs of killed processes once all of their segments are logged."""
        pending = {
            folder.parent.name
            for folder in all_segments(self.root)
            if not (folder / LOGGED).exists()
        }
        for marker in sorted((self.root / RUNS).glob("*")):
            dead = marker.name != self.current_run_id and marker.name not in pending
            if dead and _end_dead_run(marker.name):
                marker.unlink(missing_ok=True)

    def pending(self) -> int:
        """Closed segments not logged yet."""
        return sum(
            1
            for folder in all_segments(self.root)
            if (folder / CLOSED).exists() and not (folder / LOGGED).exists()
        )

    def _log(self, folder: Path) -> bool:
        try:
            if self._offload is not None:
                header, count, problems = self._offload.call(log_closed_segment, folder, self._key)
            else:
                header, count, problems = log_closed_segment(folder, self._key)
        except Exception as exc:  # MLflow unreachable, disk trouble: retried later
            self.failures += 1
            log.warning(
                "audit: segment %s not logged yet (%s: %s)", folder, type(exc).__name__, exc
            )
            return False
        if problems:
            log.error("audit: segment %s does not verify: %s", folder, problems[:3])
            self.problems += problems[:10]
        self.logged += 1
        if self._on_logged is not None:
            self._on_logged(header, count)
        return True

    def _prune(self) -> None:
        logged = [f for f in all_segments(self.root) if (f / LOGGED).exists()]
        for folder in logged[: max(0, len(logged) - self._keep)]:
            shutil.rmtree(folder, ignore_errors=True)
            if folder.parent.exists() and not any(folder.parent.iterdir()):
                folder.parent.rmdir()

    def stop(self, timeout: float) -> bool:
        """Stop the thread, then log what is left (bounded); True if nothing is pending."""
        self._stopping.set()
        self._wake.set()
        self.join(timeout)
        done = self.drain()
        return done


def log_closed_segment(folder: Path, key: bytes | None) -> tuple[SegmentHeader, int, list[str]]:
    """Finalise a closed segment, log it to its run and mark it ``LOGGED``: (header, records,
    problems ``verify_chain`` found). Runs in the background process when there is one."""
    from glassbox.audit import log_segment

    header = SegmentHeader.read(folder)
    table, manifest, problems = finalize(folder, key)
    log_segment(header.run_id, header.index, table, manifest, extra=[folder / REQUESTS])
    write_durably(folder / LOGGED, b"logged\n")
    return header, manifest.count, list(problems)


def _end_dead_run(run_id: str) -> bool:
    """The process that served ``run_id`` was killed: end its run KILLED. False to retry."""
    import mlflow
    from mlflow.exceptions import MlflowException

    client = mlflow.MlflowClient()
    try:
        run = client.get_run(run_id)
        if run.info.status == "RUNNING":
            client.set_tag(run_id, "glassbox.serving.ended_by", "recovery after a crash")
            client.set_terminated(run_id, "KILLED")
    except MlflowException as exc:
        if exc.error_code == "RESOURCE_DOES_NOT_EXIST":
            return True  # another tracking store's run: nothing to end here
        log.warning("serving run %s not ended yet: %s", run_id, exc)
        return False
    except Exception as exc:  # MLflow unreachable: retried at the next drain
        log.warning("serving run %s not ended yet: %s", run_id, exc)
        return False
    return True
