"""A real HTTP receiver on 127.0.0.1 standing in for Slack and PagerDuty (threaded).

Each POST gets the next scripted response for its path prefix (or the default: Slack ``200 ok``,
PagerDuty ``202``); every request is recorded with its arrival/accept time, so tests can check
payloads, retry gaps and duplicates. ``generation`` tags requests with the sender process.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

SLACK_PREFIX = "/services/"
PD_PATH = "/v2/enqueue"


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: bytes = b"ok"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to wait before answering (timeouts, slow receivers)
    echo_path: bool = False  # put the request path in the body (secret-leak tests)


@dataclass(frozen=True)
class Received:
    path: str
    body: bytes
    status: int
    at: float  # time.monotonic() when the answer was decided
    generation: int

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def accepted(self) -> bool:
        return 200 <= self.status < 300

    @property
    def channel(self) -> str:
        return "slack" if self.path.startswith(SLACK_PREFIX) else "pagerduty"

    @property
    def dedup_key(self) -> str:
        data = self.json
        if self.channel == "pagerduty":
            return str(data["dedup_key"])
        footer = data["blocks"][-1]["elements"][-1]["text"]  # "dedup key `...`"
        return footer.split("`")[1]


def _default(path: str) -> Reply:
    if path.startswith(SLACK_PREFIX):
        return Reply(200, b"ok")
    body = json.dumps({"status": "success", "message": "Event processed"}).encode()
    return Reply(202, body, {"Content-Type": "application/json"})


class Receiver:
    def __init__(self, port: int = 0, *, delay: float = 0.0) -> None:
        self.delay = delay
        self.generation = 0
        self.on_accept: Callable[[Received], None] | None = None
        self._scripts: dict[str, deque[Reply]] = {}
        self._lock = threading.Lock()
        self._requests: list[Received] = []
        self._in_flight = 0
        self._accepted_count = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                with receiver._lock:
                    receiver._in_flight += 1
                try:
                    self._handle()
                finally:
                    with receiver._lock:
                        receiver._in_flight -= 1

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                if len(body) < length:  # the sender died mid-request: nothing was accepted
                    return
                reply = receiver._next_reply(self.path)
                if reply.delay or receiver.delay:
                    time.sleep(reply.delay or receiver.delay)
                record = Received(
                    self.path, body, reply.status, time.monotonic(), receiver.generation
                )
                with receiver._lock:
                    receiver._requests.append(record)
                    receiver._accepted_count += record.accepted
                if record.accepted and receiver.on_accept is not None:
                    receiver.on_accept(record)
                payload = self.path.encode() if reply.echo_path else reply.body
                try:
                    self.send_response(reply.status)
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except OSError:  # the client gave up (timeout) or was killed
                    pass

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self._thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def __enter__(self) -> Receiver:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=5)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def script(self, prefix: str, *replies: Reply) -> None:
        """Answer the next requests whose path starts with ``prefix`` with ``replies``."""
        with self._lock:
            self._scripts.setdefault(prefix, deque()).extend(replies)

    def _next_reply(self, path: str) -> Reply:
        with self._lock:
            for prefix, queue in self._scripts.items():
                if path.startswith(prefix) and queue:
                    return queue.popleft()
        return _default(path)

    def settle(self, quiet: float = 0.2, timeout: float = 10.0) -> None:
        """Wait until nothing is in flight and no request arrived for ``quiet`` seconds."""
        deadline = time.monotonic() + timeout
        last = (-1, -1)
        while time.monotonic() < deadline:
            with self._lock:
                now = (len(self._requests), self._in_flight)
            if now == last and now[1] == 0:
                return
            last = now
            time.sleep(quiet)
        raise TimeoutError("the receiver did not settle")

    @property
    def requests(self) -> list[Received]:
        with self._lock:
            return list(self._requests)

    @property
    def accepted_count(self) -> int:
        """How many requests were answered 2xx (cheap: for polling loops)."""
        return self._accepted_count

    def accepted(self, channel: str | None = None) -> list[Received]:
        return [r for r in self.requests if r.accepted and channel in (None, r.channel)]
