"""Run one command as a subprocess: output to a log file, a deadline, a kill switch."""

from __future__ import annotations

import contextlib
import os
import selectors
import signal
import subprocess
import threading
import time
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

__all__ = ["ProcessOutcome", "ProcessRegistry", "run_process"]

MAX_RESULT_BYTES = 256 * 1024  # Argo keeps the last 256 kB of stdout as outputs.result
TERMINATE_GRACE_SECONDS = 3.0  # SIGTERM first, like a pod deletion, then SIGKILL
_READER_JOIN_SECONDS = 5.0


@dataclass(frozen=True)
class ProcessOutcome:
    exit_code: int | None  # None when the process could not be started
    timed_out: bool
    stdout: str
    tail: tuple[str, ...]
    error: str | None = None  # why the process could not be started


class ProcessRegistry:
    """The processes running now, so an interrupted run can stop all of them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._procs: set[subprocess.Popen[bytes]] = set()
        self._closed = False

    def add(self, proc: subprocess.Popen[bytes]) -> None:
        with self._lock:
            self._procs.add(proc)
            closed = self._closed
        if closed:
            _stop(proc, grace=0.0)

    def discard(self, proc: subprocess.Popen[bytes]) -> None:
        with self._lock:
            self._procs.discard(proc)

    def stop_all(self) -> None:
        """Terminate every running process group; new processes are stopped on start."""
        with self._lock:
            self._closed = True
            procs = list(self._procs)
        for proc in procs:
            _signal_group(proc, signal.SIGTERM)
        deadline = time.monotonic() + TERMINATE_GRACE_SECONDS
        for proc in procs:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=max(0.0, deadline - time.monotonic()))
            _signal_group(proc, signal.SIGKILL)


def _signal_group(proc: subprocess.Popen[bytes], sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, sig)


def _stop(proc: subprocess.Popen[bytes], grace: float) -> None:
    _signal_group(proc, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=grace)
    _signal_group(proc, signal.SIGKILL)


class _Capture:
    """Copies both output streams into the log, keeping the last lines and stdout.

    One thread reads both pipes as they become readable (stdout first when both are), so the
    log keeps the order in which a step wrote its lines as closely as two pipes allow.
    """

    _MAX_PARTIAL = 1024 * 1024

    def __init__(self, log: IO[bytes], tail_lines: int) -> None:
        self.log = log
        self.lock = threading.Lock()
        self.tail: deque[str] = deque(maxlen=max(tail_lines, 1))
        self.stdout = bytearray()
        self.closed = False  # set once the run is over; a stuck reader then drops its lines

    def _line(self, line: bytes, is_stdout: bool) -> None:
        with self.lock:
            if self.closed:
                return
            self.log.write(line)
            self.log.flush()
            self.tail.append(line.decode("utf-8", "replace").rstrip("\r\n"))
            if is_stdout:
                self.stdout += line
                if len(self.stdout) > 2 * MAX_RESULT_BYTES:
                    del self.stdout[: len(self.stdout) - MAX_RESULT_BYTES]

    def pump(self, stdout: IO[bytes], stderr: IO[bytes]) -> None:
        partial = {True: b"", False: b""}
        with selectors.DefaultSelector() as selector:
            selector.register(stdout, selectors.EVENT_READ, True)
            selector.register(stderr, selectors.EVENT_READ, False)
            while selector.get_map():
                ready = sorted(selector.select(), key=lambda event: not event[0].data)
                for key, _ in ready:
                    is_stdout = bool(key.data)
                    chunk = os.read(key.fd, 65536)
                    if not chunk:
                        selector.unregister(key.fileobj)
                        if partial[is_stdout]:
                            self._line(partial[is_stdout], is_stdout)
                        continue
                    *lines, rest = (partial[is_stdout] + chunk).split(b"\n")
                    for line in lines:
                        self._line(line + b"\n", is_stdout)
                    if len(rest) > self._MAX_PARTIAL:
                        self._line(rest, is_stdout)
                        rest = b""
                    partial[is_stdout] = rest
        stdout.close()
        stderr.close()


def run_process(
    argv: Sequence[str],
    *,
    env: Mapping[str, str],
    cwd: Path,
    log_path: Path,
    header: str,
    timeout: float | None,
    registry: ProcessRegistry,
    tail_lines: int = 20,
) -> ProcessOutcome:
    """Run ``argv`` (no shell) in its own process group, appending its output to ``log_path``."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log:
        log.write(header.encode("utf-8"))
        log.flush()
        try:
            proc = subprocess.Popen(
                list(argv),
                cwd=cwd,
                env=dict(env),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                start_new_session=True,
            )
        except OSError as exc:
            problem = f"cannot start {argv[0]!r}: {exc.strerror or exc}"
            log.write(f"{problem}\n".encode())
            return ProcessOutcome(None, False, "", (problem,), error=problem)
        registry.add(proc)
        capture = _Capture(log, tail_lines)
        assert proc.stdout is not None
        assert proc.stderr is not None
        reader = threading.Thread(target=capture.pump, args=(proc.stdout, proc.stderr), daemon=True)
        reader.start()
        timed_out = False
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            _stop(proc, grace=TERMINATE_GRACE_SECONDS)
            proc.wait()
        except BaseException:  # interrupted (Ctrl-C): never leave the step running
            _stop(proc, grace=TERMINATE_GRACE_SECONDS)
            with capture.lock:
                capture.closed = True
            raise
        finally:
            registry.discard(proc)
        reader.join(timeout=_READER_JOIN_SECONDS)
        if reader.is_alive():
            _signal_group(proc, signal.SIGKILL)  # a background child still holds the pipes
            reader.join(timeout=1.0)
        code = proc.returncode
        exit_code = 128 - code if code is not None and code < 0 else code
        with capture.lock:
            capture.closed = True
            stdout = bytes(capture.stdout[-MAX_RESULT_BYTES:]).decode("utf-8", "replace")
            tail = tuple(capture.tail)
        return ProcessOutcome(exit_code, timed_out, stdout, tail)
