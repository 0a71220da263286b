"""One structured JSON line per request on stdout (buffered, flushed every ``interval``)."""

from __future__ import annotations

import sys
import threading
import time
from typing import IO, Any

import msgspec

_encode = msgspec.json.Encoder().encode


class AccessLog:
    """Collects encoded lines; ``flush`` writes them in one go (called by a timer and at exit)."""

    def __init__(self, stream: IO[bytes] | None = None, enabled: bool = True) -> None:
        self.enabled = enabled
        self._stream = stream
        self._lines: list[bytes] = []
        self._lock = threading.Lock()

    def write(self, entry: dict[str, Any]) -> None:
        if not self.enabled:
            return
        entry["ts"] = time.time()
        line = _encode(entry) + b"\n"
        with self._lock:
            self._lines.append(line)

    def flush(self) -> None:
        with self._lock:
            lines, self._lines = self._lines, []
        if not lines:
            return
        stream = self._stream or sys.stdout.buffer
        try:
            stream.write(b"".join(lines))
            stream.flush()
        except (OSError, ValueError):  # stdout closed: logs are best effort, records are not
            pass
