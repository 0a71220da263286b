"""Run the native engine over a batch: chunks staged here and in a pool worker, the chain in
order here, and the audit table's columns built alongside."""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from glassbox.audit import _cells as cells
from glassbox.audit._cells import Fallback
from glassbox.audit._native import (
    CHUNK_ROWS,
    HASHES,
    PAD,
    PID,
    PREDS,
    RH,
    TS,
    Chunk,
    Plan,
    kernel_plan,
    prepare,
)
from glassbox.audit._texts import framed, json_array

AHEAD = 3  # chunks prepared ahead of the chain (bounds memory)
HALVES_MIN_ROWS = 1024  # a one-chunk batch of this many rows has its records hashed in halves
# (measured: 1,024 rows 443 -> 328 us, 2,048 rows 852 -> 544 us; 512 rows no gain: the hand-off)


class Engine:
    """SHA-256, or HMAC-SHA256 with one key, through the compiled loops."""

    def __init__(self, key: bytes | None) -> None:
        from glassbox.audit import _kernels as k
        from glassbox.audit._crypto import CTX_BYTES, sha256_functions

        fns = sha256_functions()
        if isinstance(fns, str):
            raise Fallback(fns)
        self.fns = (fns.init, fns.update, fns.final)
        self.ikey = self.okey = np.empty(0, np.uint8)
        if key is not None:
            if len(key) > 64:  # RFC 2104: a long key is hashed first
                key = hashlib.sha256(key).digest()
            self.ikey, self.okey = np.zeros(CTX_BYTES, np.uint8), np.zeros(CTX_BYTES, np.uint8)
            k.hmac_states(self.fns, np.frombuffer(key, np.uint8).copy(), self.ikey, self.okey)

    def _hasher(self) -> tuple[Any, ...]:
        from glassbox.audit._crypto import CTX_BYTES

        return (self.fns, np.zeros(CTX_BYTES, np.uint8), self.ikey, self.okey)

    @staticmethod
    def _scratch(kplan: tuple[Any, ...]) -> np.ndarray:
        """Room for any row: every piece copies at most its whole words (a piece's text is
        never longer), the previous link 64 bytes, the seq at most 20 digits."""
        return np.empty(8 * int(kplan[1].sum()) + 64 + 20 + PAD, np.uint8)

    def records(self, plan: Plan, chunk: Chunk, halves: bool = False) -> Chunk:
        """Hash every record of the chunk; the hex hashes become its record_hash cells.
        ``halves``: a pool worker hashes the first half of the rows meanwhile (for a batch of
        one chunk, staged by the calling thread alone)."""
        from glassbox.audit import _kernels as k

        n = chunk.starts.shape[0]
        out = np.empty(64 * n + PAD, np.uint8)
        kplan = kernel_plan(plan.record, chunk)

        def rows(lo: int, hi: int) -> None:
            part = (*kplan[:4], kplan[4][lo:hi], kplan[5][lo:hi], kplan[6])
            k.hash_rows(part, self._hasher(), self._scratch(kplan), out[64 * lo : 64 * hi])

        if halves and n >= HALVES_MIN_ROWS:
            first = pool().submit(rows, 0, n // 2)
            rows(n // 2, n)
            first.result()
        else:
            rows(0, n)
        chunk.bufs[HASHES] = out
        chunk.starts[:, RH] = np.arange(0, 64 * n, 64, dtype=np.int64)
        chunk.ends[:, RH] = chunk.starts[:, RH] + 64
        chunk.longest[RH] = 64
        return chunk

    def chain(
        self, plan: Plan, chunk: Chunk, start: tuple[np.ndarray, int], out: np.ndarray
    ) -> None:
        """Link the chunk's rows after ``start`` = (previous link, seq of the batch's first row);
        the previous link is updated to the chunk's last one."""
        from glassbox.audit import _kernels as k

        n = chunk.starts.shape[0]
        kplan = kernel_plan(plan.chain, chunk)
        target = out[64 * chunk.lo : 64 * (chunk.lo + n)]
        prev, seq0 = start
        k.chain_rows(kplan, self._hasher(), self._scratch(kplan), (prev, seq0 + chunk.lo), target)


def _strings(data: np.ndarray, offsets: np.ndarray) -> Any:
    import pyarrow as pa

    buffers = [None, pa.py_buffer(offsets), pa.py_buffer(data)]
    return pa.Array.from_buffers(pa.large_string(), offsets.size - 1, buffers)


def _hexes(data: np.ndarray, n: int) -> Any:
    return _strings(data, np.arange(0, 64 * (n + 1), 64, dtype=np.int64))


def _columns(plan: Plan) -> dict[str, Any]:
    """The table's id and event-time columns (run in a worker, beside the chunks)."""
    ids, events = plan.columns[PID], plan.columns[TS]
    cells.check_unique(ids, plan.id_column)
    labels = ids.values if ids.kind == "int" else ids.labels
    out: dict[str, Any] = {"prediction_id": cells.strings(labels)}
    if events.kind == "event":
        assert events.values is not None
        stamps = pd.array(events.values.view("datetime64[us]"))
        out["event_timestamp"] = stamps.tz_localize("UTC")
    else:
        out["event_timestamp"] = [t.decode() for t in events.texts]
    return out


@dataclass
class Chained:
    """The native engine's output over a batch, as buffers: per chunk the prediction texts
    (data, offsets) and the hex record hashes (64 bytes a row); the hex chain links of every
    row; the last link; what ``side`` built; and, when asked, the JSON array elements of the
    prediction texts, record hashes and chain links (one run of rows per chunk)."""

    preds: list[tuple[np.ndarray, np.ndarray]]
    hashes: list[np.ndarray]
    chain: np.ndarray
    root: str
    side: dict[str, Any]
    preds_json: list[memoryview] = field(default_factory=list)
    hashes_json: list[memoryview] = field(default_factory=list)
    chain_json: list[memoryview] = field(default_factory=list)
    meanwhile: Any = None  # what ``meanwhile`` returned


def chained(
    plan: Plan,
    engine: Engine,
    genesis: str,
    seq0: int = 0,
    side: Callable[[Plan], dict[str, Any]] | None = None,
    *,
    chunk_rows: int | None = None,
    json: bool = False,
    meanwhile: Callable[[], Any] | None = None,
) -> Chained:
    """Hash and link every row of ``plan``: the chain starts after ``genesis`` (or a previous
    batch's last link) at seq ``seq0``. Chunks of ``chunk_rows`` rows (default
    ``CHUNK_ROWS``) are prepared and hashed by this thread and a pool worker, and linked here
    in order (a batch of one chunk is staged here, its records hashed in halves). ``side``
    builds other columns in a worker meanwhile (default: the table's ids, checked unique, and
    event times); ``meanwhile`` runs here while the worker stages the first chunk. ``json``:
    each chunk's prediction texts (as it is staged), record hashes and chain links (as it is
    linked) are also written as JSON array elements (what a log line holds)."""
    n = plan.rows
    prev = np.frombuffer(genesis.encode("ascii"), np.uint8).copy()
    out = Chained([], [], np.empty(64 * n, np.uint8), genesis, {})
    step = chunk_rows or CHUNK_ROWS
    bounds = chunk_bounds(n, step)

    def stage(lo: int, hi: int, halves: bool = False) -> Chunk:
        chunk = engine.records(plan, prepare(plan, lo, hi), halves)
        if json:
            assert chunk.offsets is not None
            chunk.json = json_array(chunk.bufs[PREDS], chunk.offsets)[1:-1]
        return chunk

    def collect(chunk: Chunk) -> None:
        engine.chain(plan, chunk, (prev, seq0), out.chain)
        assert chunk.offsets is not None
        rows = chunk.starts.shape[0]
        out.preds.append((chunk.bufs[PREDS], chunk.offsets))
        out.hashes.append(chunk.bufs[HASHES][: 64 * rows])
        if json:
            assert chunk.json is not None
            out.preds_json.append(chunk.json)
            out.hashes_json.append(framed(out.hashes[-1], 64))
            out.chain_json.append(framed(out.chain[64 * chunk.lo : 64 * (chunk.lo + rows)], 64))

    if len(bounds) <= 1:  # a micro-batch: one chunk, its records hashed in halves
        for lo, hi in bounds:
            collect(stage(lo, hi, halves=True))
        out.side = (side or _columns)(plan)
        out.meanwhile = meanwhile() if meanwhile else None
    else:
        workers = pool()
        others: Future[dict[str, Any]] = workers.submit(side or _columns, plan)
        out.meanwhile = _pipeline(workers, bounds, stage, collect, meanwhile)
        out.side = others.result()
    out.root = prev.tobytes().decode("ascii") if n else genesis
    return out


def chunk_bounds(n: int, step: int) -> list[tuple[int, int]]:
    """Rows 0..n in chunks of ``step``; the last 1-2 chunks' worth cut in halves (1/2, 1/4,
    1/8, 1/8): each chunk is linked after it is hashed, so fewer rows are left to link on one
    core once the last chunk is hashed. A batch of at most ``step`` rows is one chunk."""
    if n <= step:
        return [(0, n)] if n else []
    bounds, lo = [], 0
    while n - lo > 2 * step:
        bounds.append((lo, lo + step))
        lo += step
    left = n - lo
    for size in (left // 2, left // 4, left // 8):
        bounds.append((lo, lo + size))
        lo += size
    return [*bounds, (lo, n)]


def run(
    plan: Plan,
    engine: Engine,
    genesis: str,
    seq0: int = 0,
    side: Callable[[Plan], dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Every column of the audit table (arrow strings or arrays) and ``root`` (see
    ``chained``)."""
    import pyarrow as pa

    done = chained(plan, engine, genesis, seq0, side)
    out = done.side
    out["prediction"] = pa.chunked_array(
        [_strings(data, offsets) for data, offsets in done.preds], pa.large_string()
    )
    out["record_hash"] = pa.chunked_array(
        [_hexes(h, h.size // 64) for h in done.hashes], pa.large_string()
    )
    out["chain_hash"] = _hexes(done.chain, plan.rows)
    out["root"] = done.root
    return out


_pool: tuple[int, ThreadPoolExecutor] | None = None
_pool_lock = threading.Lock()


def pool() -> ThreadPoolExecutor:
    """The process's two audit worker threads (made on first use; again in a forked child,
    which has none of its parent's threads)."""
    global _pool  # noqa: PLW0603  (one pool per process)
    with _pool_lock:
        if _pool is None or _pool[0] != os.getpid():
            _pool = (os.getpid(), ThreadPoolExecutor(2, thread_name_prefix="glassbox-audit"))
        return _pool[1]


class _Queue:
    """The chunks of one batch, taken in order by this thread and one pool worker; at most
    AHEAD chunks staged beyond the last one linked (bounds memory)."""

    def __init__(self, count: int) -> None:
        self.count = count
        self.taken = 0
        self.linked = 0
        self.stopped = False
        self.ready = threading.Condition()

    def take(self, wait: bool) -> int | None:
        """The next chunk to stage, or None: all taken, stopped, or (``wait`` false) too far
        ahead of the links."""
        with self.ready:
            while not self.stopped and self.taken < self.count:
                if self.taken <= self.linked + AHEAD:
                    self.taken += 1
                    return self.taken - 1
                if not wait:
                    return None
                self.ready.wait()
            return None

    def advance(self, stop: bool = False) -> None:
        with self.ready:
            self.linked += 1
            self.stopped = self.stopped or stop
            self.ready.notify_all()


def _pipeline(
    pool: ThreadPoolExecutor,
    bounds: list[tuple[int, int]],
    stage: Callable[[int, int], Chunk],
    collect: Callable[[Chunk], None],
    meanwhile: Callable[[], Any] | None = None,
) -> Any:
    """Stage chunks here and in one pool worker, link (``collect``) them here in order: this
    thread links every chunk that is ready and stages the next one when none is, so two
    threads keep two cores busy (a third would only take turns with them and delay the
    links). ``meanwhile`` runs here first (returns what it returned)."""
    staged: list[Future[Chunk]] = [Future() for _ in bounds]
    queue = _Queue(len(bounds))

    def run(index: int) -> None:
        try:
            staged[index].set_result(stage(*bounds[index]))
        except BaseException as exc:  # re-raised by the thread that links it
            staged[index].set_exception(exc)

    def worker() -> None:
        while (index := queue.take(wait=True)) is not None:
            run(index)

    pool.submit(worker)
    try:
        done = meanwhile() if meanwhile else None
        for index in range(len(bounds)):
            while not staged[index].done() and (mine := queue.take(wait=False)) is not None:
                run(mine)
            collect(staged[index].result())
            queue.advance()
    finally:
        queue.advance(stop=True)
    return done
