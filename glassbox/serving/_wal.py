"""The online audit log: a running chain per segment, written ahead with group commit.

``AuditLog.append`` (called by the one thread that runs the model) links a micro-batch's audit
table onto the current segment's chain and hands its log line (in pieces, one ``writev``) to the
writer thread; it returns a future that completes once the line is durable. The writer takes
every line queued while it was busy, writes them and makes them durable with one
``fdatasync``: a group commit, so the cost of the disk flush is shared by every request that
arrived meanwhile.

Segments rotate when they reach ``segment_max_records`` records or ``segment_max_seconds`` of
age, when the model changes (a segment holds one model) and at shutdown; a closed segment goes
to the uploader, which logs it to the serving run.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from glassbox.audit import AuditError, ModelIdentity, RunningChain, TextColumn, segment_batch_id
from glassbox.serving._segment_files import (
    CLOSED,
    FEW_ROWS,
    HEADER,
    WAL,
    SegmentHeader,
    encode_fields,
    encode_rows,
    ensure_dir,
    fsync_dir,
    segment_dir,
    write_durably,
)
from glassbox.serving._settings import AuditLogSettings

log = logging.getLogger("glassbox.serving")


class AuditWriteError(Exception):
    """The log line could not be made durable: the request must fail (nothing acknowledged)."""


@dataclass
class _Open:
    header: SegmentHeader
    folder: Path


@dataclass
class _Write:
    folder: Path
    data: list[bytes | memoryview]  # one line in pieces, written by one writev
    future: Future[float]
    timing: list[float] = field(default_factory=list)


@dataclass
class _Close:
    folder: Path


@dataclass
class _Stop:
    pass


class _Writer(threading.Thread):
    """Appends lines to the open segment's log and fdatasyncs them in groups."""

    def __init__(self, on_closed: Callable[[Path], None]) -> None:
        super().__init__(name="glassbox-audit-writer", daemon=True)
        self._queue: queue.SimpleQueue[_Open | _Write | _Close | _Stop] = queue.SimpleQueue()
        self._on_closed = on_closed
        self._fd: int | None = None
        self._folder: Path | None = None
        self._good = 0  # bytes of the open log known to hold complete lines
        self.closed_by_error: set[Path] = set()
        self.groups = 0

    def put(self, item: _Open | _Write | _Close | _Stop) -> None:
        self._queue.put(item)

    def run(self) -> None:
        pending: list[_Write] = []
        while True:
            items = [self._queue.get()]
            while True:
                try:
                    items.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            for item in items:
                if isinstance(item, _Write):
                    self._write(item, pending)
                    continue
                self._sync(pending)
                if isinstance(item, _Stop):
                    self._close()
                    return
                if isinstance(item, _Open):
                    self._open(item)
                else:
                    self._close(item.folder)
            self._sync(pending)

    def _open(self, item: _Open) -> None:
        self._close()
        try:
            ensure_dir(item.folder)
            write_durably(item.folder / HEADER, item.header.to_json().encode("utf-8"))
            self._fd = os.open(item.folder / WAL, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            fsync_dir(item.folder)
            fsync_dir(item.folder.parent)
            self._folder, self._good = item.folder, 0
        except OSError as exc:
            log.error("audit: cannot open segment %s: %s", item.folder, exc)
            self._fd, self._folder = None, None
            self.closed_by_error.add(item.folder)

    def _write(self, item: _Write, pending: list[_Write]) -> None:
        if self._fd is None or item.folder != self._folder:
            item.future.set_exception(AuditWriteError(f"segment {item.folder.name} is not open"))
            return
        try:
            size = sum(len(piece) for piece in item.data)
            written = os.writev(self._fd, item.data)
            if written != size:
                raise OSError(f"short write ({written} of {size} bytes)")
        except OSError as exc:
            self._fail([*pending, item], f"write failed: {exc}", truncate=True)
            return
        self._good += size
        pending.append(item)

    def _sync(self, pending: list[_Write]) -> None:
        if not pending or self._fd is None:
            return
        start = time.perf_counter()
        try:
            os.fdatasync(self._fd)
        except OSError as exc:
            self._fail(pending, f"fdatasync failed: {exc}", truncate=False)
            return
        seconds = time.perf_counter() - start
        self.groups += 1
        for item in pending:
            item.future.set_result(seconds)
        pending.clear()

    def _fail(self, items: list[_Write], reason: str, *, truncate: bool) -> None:
        """Fail every unacknowledged line and end the segment (at its last complete line when
        a write failed half-way; a failed flush leaves the file as it is)."""
        log.error("audit: %s; closing segment %s", reason, self._folder)
        folder = self._folder
        if folder is not None:  # before anyone learns of the failure: the next batch rotates
            self.closed_by_error.add(folder)
        for item in items:
            if not item.future.done():
                item.future.set_exception(AuditWriteError(reason))
        items.clear()
        if truncate and self._fd is not None:
            try:
                os.ftruncate(self._fd, self._good)
            except OSError as exc:
                log.error("audit: cannot cut %s back to %d bytes: %s", folder, self._good, exc)
        if folder is not None:
            self._close(folder)

    def _close(self, folder: Path | None = None) -> None:
        if self._fd is None or (folder is not None and folder != self._folder):
            return
        current = self._folder
        try:
            os.fsync(self._fd)
        except OSError as exc:
            log.error("audit: fsync at close of %s failed: %s", current, exc)
        os.close(self._fd)
        self._fd, self._folder = None, None
        if current is None:
            return
        if self._good == 0:
            return  # never received a line: nothing to keep (recovery removes it)
        try:
            write_durably(current / CLOSED, b"closed\n")
        except OSError as exc:
            log.error("audit: cannot mark %s closed: %s (recovered at next start)", current, exc)
            return
        self._on_closed(current)


class AuditLog:
    """The serving run's audit: segments of one chain each, one model each."""

    def __init__(
        self,
        root: Path,
        run_id: str,
        *,
        settings: AuditLogSettings,
        key: bytes | None,
        on_closed: Callable[[Path], None],
        first_index: int = 1,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.root = ensure_dir(root)
        self.run_id = run_id
        self.settings = settings
        self.key = key
        self._clock = clock
        self._writer = _Writer(on_closed)
        self._writer.start()
        self._next_index = first_index
        self._chain: RunningChain | None = None
        self._folder: Path | None = None
        self._opened_at = 0.0
        self._features: tuple[str, ...] = ()

    @property
    def groups_committed(self) -> int:
        return self._writer.groups

    def _rotate_if_needed(self, model: ModelIdentity, features: tuple[str, ...], rows: int) -> None:
        chain = self._chain
        if chain is not None and (
            self._folder in self._writer.closed_by_error
            or chain.model != model
            or (chain.count > 0 and chain.count + rows > self.settings.segment_max_records)
            or self._clock() - self._opened_at >= self.settings.segment_max_seconds
        ):
            self.close_segment()
        if self._chain is None:
            self._open(model, features)

    def _open(self, model: ModelIdentity, features: tuple[str, ...]) -> None:
        index = self._next_index
        self._next_index += 1
        batch_id = segment_batch_id(self.run_id, index)
        self._chain = RunningChain(batch_id, model, self.key)
        self._folder = segment_dir(self.root, self.run_id, index)
        self._opened_at = self._clock()
        self._features = features
        header = SegmentHeader(
            self.run_id,
            index,
            batch_id,
            model,
            self._chain.hash_alg,
            self._chain.genesis,
            features,
            self._opened_at,
        )
        self._writer.put(_Open(header, self._folder))

    def append(
        self,
        model: ModelIdentity,
        *,
        features: dict[str, np.ndarray],
        ids: list[str],
        stamps: np.ndarray,
        predictions: dict[str, np.ndarray],
        callers: list[str],
        request_ids: list[str],
    ) -> tuple[TextColumn, Future[float]]:
        """Hash and link a micro-batch onto the chain; (record hashes, durable future). The
        hashes stay in one buffer: ``hashes[start:end]`` gives a request's as strings."""
        self._rotate_if_needed(model, tuple(features), len(ids))
        assert self._chain is not None
        assert self._folder is not None
        fields = None
        if len(ids) >= FEW_ROWS:  # encoded while a worker thread hashes the first chunk

            def fields(texts: list[str]) -> tuple[bytes, bytes, bytes]:
                return encode_fields(texts, callers, request_ids)

        try:
            rows = self._chain.extend(features, ids, stamps, predictions, meanwhile=fields)
        except AuditError:
            self.close_segment()  # the chain may be half-extended: start a new segment
            raise
        seq = int(rows.seq[0]) if len(rows.seq) else self._chain.count
        line = encode_rows(seq, rows, callers, request_ids, rows.meanwhile)
        future: Future[float] = Future()
        self._writer.put(_Write(self._folder, line, future))
        return rows.record_hash, future

    def tick(self) -> None:
        """Close the open segment once it is older than ``segment_max_seconds`` (idle or not)."""
        if self._chain is not None and (
            self._clock() - self._opened_at >= self.settings.segment_max_seconds
            or self._folder in self._writer.closed_by_error
        ):
            self.close_segment()

    def close_segment(self) -> None:
        if self._folder is not None:
            self._writer.put(_Close(self._folder))
        self._chain, self._folder = None, None

    def close(self, timeout: float = 30.0) -> None:
        """Close the open segment and stop the writer once every queued line is durable."""
        self.close_segment()
        self._writer.put(_Stop())
        self._writer.join(timeout)
