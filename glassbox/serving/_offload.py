"""A helper process for the server's heavy background work: audit segments → MLflow, and the
live-drift statistics.

The threads of one Python process share one GIL, and the request path gives it up often: a
scikit-learn model call hands it over once per tree (a histogram gradient boosting model of
120 trees: 120 hand-overs per call). A background thread that computes for milliseconds takes
it at each hand-over, so a request that meets a segment upload or a drift computation runs
slower. That work runs here instead: one child process (``python -m
glassbox.serving._offload``), started with the server, in a session of its own (a signal to
the server's process group must not kill the upload the server drains on shutdown). It reads
calls from its stdin and ends when that pipe closes — when the server ends or is killed. If it
dies, the next call starts a new one.

The protocol: each message is an 8-byte big-endian length and a pickle; a call is (module,
function name, args), an answer (True, result) or (False, exception). Pickles travel only
between this server and the child it started, over the pipes it holds.
"""

from __future__ import annotations

import importlib
import logging
import os
import pickle  # only between this process and the child it started
import struct
import subprocess
import sys
import threading
from collections.abc import Callable
from typing import IO, Any, TypeVar

log = logging.getLogger("glassbox.serving")
T = TypeVar("T")
_HEADER = struct.Struct(">Q")


class OffloadError(RuntimeError):
    """The background process died or answered nothing usable."""


class Offload:
    """Runs module-level functions in the helper process, one call at a time (``call``)."""

    def __init__(self, tracking_uri: str = "", registry_uri: str = "") -> None:
        self._uris = (tracking_uri, registry_uri)
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[bytes] | None = None
        self._closed = False
        self.starts = 0

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def start(self, modules: tuple[str, ...] = ()) -> None:
        """Start the helper and have it import ``modules`` (in the background: a few seconds
        that overlap whatever the server does next)."""
        threading.Thread(
            target=self._warm, args=(modules,), name="glassbox-offload-start", daemon=True
        ).start()

    def _warm(self, modules: tuple[str, ...]) -> None:
        try:
            self.call(_import, modules)
        except Exception as exc:  # the first real call starts it again and reports
            log.warning("background process: warm-up failed: %s", exc)

    def _spawn(self) -> subprocess.Popen[bytes]:
        env = os.environ | {
            "PYTHONUNBUFFERED": "1",
            "GLASSBOX_OFFLOAD_TRACKING_URI": self._uris[0],
            "GLASSBOX_OFFLOAD_REGISTRY_URI": self._uris[1],
        }
        self.starts += 1
        return subprocess.Popen(
            [sys.executable, "-m", "glassbox.serving._offload"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
            start_new_session=True,
        )

    def call(self, function: Callable[..., T], *args: Any) -> T:
        """``function(*args)`` in the helper; an exception it raises is raised here. A dead
        helper is replaced and the call made once more."""
        message = pickle.dumps((function.__module__, function.__qualname__, args))
        with self._lock:
            for attempt in (1, 2):
                if self._closed:
                    raise OffloadError("the background process is closed")
                if self._proc is None or self._proc.poll() is not None:
                    self._proc = self._spawn()
                proc = self._proc
                assert proc.stdin is not None
                assert proc.stdout is not None
                try:
                    _send(proc.stdin, message)
                    ok, value = pickle.loads(_receive(proc.stdout))  # noqa: S301  (our child)
                except (OSError, EOFError, pickle.UnpicklingError) as exc:
                    self._end(proc)
                    self._proc = None
                    if attempt == 2:
                        raise OffloadError(f"the background process died: {exc}") from None
                    log.warning("background process died (%s); starting a new one", exc)
                    continue
                if ok:
                    return value
                raise value
        raise AssertionError("unreachable")

    def close(self) -> None:
        """End the helper once the running call (if any) is answered."""
        with self._lock:
            self._closed = True
            proc, self._proc = self._proc, None
        if proc is not None:
            self._end(proc)

    @staticmethod
    def _end(proc: subprocess.Popen[bytes]) -> None:
        for stream in (proc.stdin, proc.stdout):
            try:
                if stream is not None:
                    stream.close()
            except OSError:
                pass
        try:
            proc.wait(10)  # stdin closed: it exits after its current call
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


def _send(stream: IO[bytes], payload: bytes) -> None:
    stream.write(_HEADER.pack(len(payload)) + payload)
    stream.flush()


def _receive(stream: IO[bytes]) -> bytes:
    header = stream.read(_HEADER.size)
    if len(header) < _HEADER.size:
        raise EOFError("the pipe closed")
    size = _HEADER.unpack(header)[0]
    payload = stream.read(size)
    if len(payload) < size:
        raise EOFError("the pipe closed mid-message")
    return payload


def _import(modules: tuple[str, ...]) -> int:
    for name in modules:
        importlib.import_module(name)
    return os.getpid()


def _serve(calls: IO[bytes], answers: IO[bytes]) -> None:
    """The helper's loop: one call at a time until the server closes the pipe."""
    while True:
        try:
            message = _receive(calls)
        except EOFError:
            return
        try:
            module, name, args = pickle.loads(message)  # noqa: S301  (our parent)
            function: Any = importlib.import_module(module)
            for part in name.split("."):
                function = getattr(function, part)
            answer = (True, function(*args))
        except Exception as exc:
            answer = (False, exc)
        try:
            payload = pickle.dumps(answer)
        except Exception as exc:  # an unpicklable result or exception: say what it was
            payload = pickle.dumps((False, OffloadError(f"{type(exc).__name__}: {exc}")))
        _send(answers, payload)


def main() -> None:
    """``python -m glassbox.serving._offload``: stdout carries answers only (anything else
    printed goes to stderr, the server's log)."""
    answers = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    import glassbox  # noqa: F401  (telemetry off before MLflow is imported)

    logging.basicConfig(
        level=logging.INFO,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s [background]: %(message)s",
    )
    tracking = os.environ.get("GLASSBOX_OFFLOAD_TRACKING_URI", "")
    if tracking:
        import mlflow

        mlflow.set_tracking_uri(tracking)
        mlflow.set_registry_uri(os.environ.get("GLASSBOX_OFFLOAD_REGISTRY_URI") or tracking)
    _serve(sys.stdin.buffer, answers)


if __name__ == "__main__":
    main()
