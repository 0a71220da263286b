"""The shadow log on disk: ``ShadowRecord`` JSON lines, rotated into files, logged to MLflow.

``<serving.shadow.dir>/<serving run id>/<k:06d>.jsonl`` — one directory per serving run, one
file open at a time, closed after ``file_max_records`` records or ``file_max_seconds`` and at
shutdown. Every batch's lines are appended with one write and flushed, so a reader (``glassbox
canary analyze --shadow DIR``) sees whole lines of a file being written, at most a torn last one
(which it skips). A closed file is fsynced and logged to its serving run as the artifact
``shadow/<k:06d>.jsonl``; its name then goes to ``LOGGED`` in the run's directory, and logged
files beyond ``keep_logged_files`` are removed locally. Files a killed server left behind are
logged to their own run by the next server started on the same directory.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO

log = logging.getLogger("glassbox.serving")
LOGGED = "LOGGED"
SUFFIX = ".jsonl"
_STOP = Path("/dev/null/stop")  # never a file: the uploader's stop sentinel


class ShadowFiles:
    """The open file of one run's directory (used by the shadow worker thread only)."""

    def __init__(
        self,
        directory: Path,
        max_records: int,
        max_seconds: float,
        on_closed: Callable[[Path], None],
    ) -> None:
        self.directory = directory
        self.max_records = max_records
        self.max_seconds = max_seconds
        self._on_closed = on_closed
        self._handle: IO[str] | None = None
        self._path: Path | None = None
        self._opened = 0.0
        self._records = 0
        self.files = 0
        directory.mkdir(parents=True, exist_ok=True)

    def write(self, lines: list[str]) -> None:
        if self._handle is None:
            self._open()
        assert self._handle is not None
        self._handle.write("".join(lines))
        self._handle.flush()
        self._records += len(lines)
        if self._records >= self.max_records:
            self.close()

    def tick(self) -> None:
        """Close the open file once it is older than ``max_seconds``."""
        if self._handle is not None and time.monotonic() - self._opened >= self.max_seconds:
            self.close()

    def close(self) -> None:
        handle, path = self._handle, self._path
        if handle is None or path is None:
            return
        self._handle = self._path = None
        handle.flush()
        os.fsync(handle.fileno())
        handle.close()
        self._on_closed(path)

    def _open(self) -> None:
        """The next number after every file here or logged from here (pruned files included:
        a reused name would overwrite its artifact in MLflow)."""
        names = {p.name for p in self.directory.glob(f"*{SUFFIX}")} | logged_names(self.directory)
        k = max((int(n[:6]) for n in names if n[:6].isdigit()), default=-1) + 1
        self._path = self.directory / f"{k:06d}{SUFFIX}"
        self._handle = self._path.open("a", encoding="utf-8")
        self._opened = time.monotonic()
        self._records = 0
        self.files += 1


class ShadowUploader(threading.Thread):
    """Logs closed files to their serving run (MLflow calls off every request's path)."""

    def __init__(self, root: Path, keep: int, retry_seconds: float = 10.0) -> None:
        super().__init__(name="glassbox-shadow-uploader", daemon=True)
        self.root = root
        self.keep = keep
        self.retry_seconds = retry_seconds
        self._queue: queue.Queue[Path] = queue.Queue()
        self._failed: list[Path] = []
        self.logged = 0

    def notify(self, path: Path) -> None:
        self._queue.put(path)

    def run(self) -> None:
        while True:
            try:
                item: Path | None = self._queue.get(timeout=self.retry_seconds)
            except queue.Empty:
                item = None  # nothing new: retry what failed
            if item is _STOP:
                return
            todo = self._failed + ([item] if item is not None else [])
            self._failed = [path for path in todo if not self._log(path)]

    def stop(self, timeout: float) -> bool:
        """Log what is queued (within ``timeout``); True when nothing is left unlogged."""
        self._queue.put(_STOP)
        self.join(timeout)
        for path in list(self._failed):
            if self._log(path):
                self._failed.remove(path)
        return not self.is_alive() and not self._failed

    def recover(self, current_run: str) -> int:
        """Log the files ended runs left unlogged in their directories (a RUNNING run belongs to
        another live server on the same directory: its own uploader logs them)."""
        import mlflow

        client, count = mlflow.MlflowClient(), 0
        if not self.root.is_dir():
            return 0
        for directory in sorted(p for p in self.root.iterdir() if p.is_dir()):
            if directory.name == current_run:
                continue
            try:
                status = client.get_run(directory.name).info.status
            except Exception as exc:  # not a run of this tracking server
                log.warning("shadow: %s is not a serving run here (%s)", directory, exc)
                continue
            if status == "RUNNING":
                continue
            for path in unlogged(directory):
                count += int(self._log(path))
        return count

    def _log(self, path: Path) -> bool:
        import mlflow

        run_id = path.parent.name
        try:
            mlflow.MlflowClient().log_artifact(run_id, str(path), "shadow")
        except Exception as exc:  # MLflow unreachable, or the run is gone: retry later
            log.warning("shadow log %s not logged to run %s yet: %s", path.name, run_id, exc)
            return False
        with (path.parent / LOGGED).open("a", encoding="utf-8") as handle:
            handle.write(path.name + "\n")
        self.logged += 1
        self._prune(path.parent)
        return True

    def _prune(self, directory: Path) -> None:
        logged = sorted(logged_names(directory))
        for name in logged[: max(0, len(logged) - self.keep)]:
            (directory / name).unlink(missing_ok=True)


def logged_names(directory: Path) -> set[str]:
    marker = directory / LOGGED
    if not marker.is_file():
        return set()
    return {line.strip() for line in marker.read_text(encoding="utf-8").splitlines() if line}


def unlogged(directory: Path) -> list[Path]:
    done = logged_names(directory)
    return sorted(p for p in directory.glob(f"*{SUFFIX}") if p.name not in done)
