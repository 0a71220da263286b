"""``just canary``: progressive delivery end to end on the embedded default, with a real server.

1. v1 is trained, gated and registered: ``@champion``.
2. v2 is trained with a deliberately worse setting (8 boosting iterations instead of 120) and
   let through a loosened gate, as a careless retraining would be: ``@challenger``.
3. ``glassbox serve`` answers with the champion and scores every request with the challenger
   in shadow (off the hot path), writing the shadow log.
4. Production traffic is replayed through ``/predict`` (the first rows of the analysis period,
   with their ids, so the delayed targets join).
5. ``glassbox canary analyze --shadow ... --apply``: rollback verdict with its reasons, the
   challenger is rejected, the champion stays v1 (an MLflow decision run and an alert).
6. v3, a good retrain (another seed), becomes ``@challenger``; the running server follows the
   alias and shadows it.
7. Traffic is replayed again and analysed: promote, ``@champion`` moves to v3 while requests
   keep coming; the server follows the alias without a failed request.
8. ``glassbox model history`` shows both decisions.

    python scripts/canary.py [--home DIR] [--rows 8000] [--port 0]

The store is ``--home`` (default ``.glassbox-canary``, separate from ``just pipeline``'s, since
this trains deliberately bad models); alerts go wherever glassbox.alerts sends them
(``SLACK_WEBHOOK_URL`` / ``PAGERDUTY_ROUTING_KEY``, else the desktop outbox). Exit 0 when every
step ended as described, 1 otherwise (the step that did not is named).
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[1]
GLASSBOX = [sys.executable, "-m", "glassbox"]
WORSE = {"GLASSBOX_MODEL__MAX_ITER": "8", "GLASSBOX_GATE__CHAMPION_TOLERANCE": "0.2"}


class DemoError(RuntimeError):
    """A step did not end as the demonstration expects."""


def say(text: str = "") -> None:
    print(text, flush=True)


def step(title: str) -> None:
    say(f"\n=== {title}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Demo:
    def __init__(self, home: Path, rows: int, port: int) -> None:
        self.home = home
        self.rows = rows
        self.port = port or free_port()
        self.env = dict(os.environ) | {
            "GLASSBOX_HOME": str(home),
            "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false",
        }
        self.base = f"http://127.0.0.1:{self.port}"
        self.server: subprocess.Popen[bytes] | None = None
        self.traffic_one: dict[str, Any] = {}

    # -- commands ------------------------------------------------------------------------------

    def glassbox(
        self, *args: str, show: bool = True, echo: bool = True, **env: str
    ) -> subprocess.CompletedProcess[str]:
        if echo:
            say("$ glassbox " + " ".join(args))
        done = subprocess.run(
            [*GLASSBOX, *args], cwd=REPO, env=self.env | env, capture_output=True, text=True,
            timeout=3600, check=False,
        )  # fmt: skip
        if show:
            say(done.stdout.rstrip())
        if done.stderr.strip() and done.returncode not in (0, 1):
            say(done.stderr.rstrip()[-3000:])
        return done

    def train(self, *params: str, **env: str) -> None:
        done = self.glassbox("run", "training", *params, show=False, **env)
        tail = [line for line in done.stdout.splitlines() if line.strip()][-3:]
        say("\n".join(tail))
        if done.returncode != 0:
            raise DemoError(f"training failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
        self.glassbox("model", "status")

    def aliases(self) -> dict[str, str]:
        """``@alias -> version`` (empty while the model is not registered)."""
        done = self.glassbox("model", "status", show=False, echo=False)
        found: dict[str, str] = {}
        for line in done.stdout.splitlines():
            alias, _, version = line.partition(" = ")
            if version.startswith("v"):
                found[alias.split("@")[-1]] = version[1:]
        return found

    # -- the server ----------------------------------------------------------------------------

    def start_server(self) -> None:
        logs = self.home / "canary-demo"
        logs.mkdir(parents=True, exist_ok=True)
        say(f"$ glassbox serve --port {self.port}   (logs: {logs})")
        env = self.env | {"GLASSBOX_SERVING__ALIAS_POLL_SECONDS": "1"}
        self.server = subprocess.Popen(
            [*GLASSBOX, "serve", "--port", str(self.port)], cwd=REPO, env=env,
            stdout=(logs / "serve.stdout.log").open("wb"),
            stderr=(logs / "serve.stderr.log").open("wb"),
        )  # fmt: skip
        self.wait(lambda: self.get("/ready").get("status") == "ready", 300, "the server ready")

    def stop_server(self) -> None:
        if self.server is None or self.server.poll() is not None:
            return
        self.server.send_signal(signal.SIGTERM)
        try:
            self.server.wait(120)
        except subprocess.TimeoutExpired:
            self.server.kill()

    def get(self, path: str) -> dict[str, Any]:
        try:
            return dict(httpx.get(self.base + path, timeout=10).json())
        except (httpx.HTTPError, ValueError):
            return {}

    def wait(self, ready: Any, timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.server is not None and self.server.poll() is not None:
                raise DemoError(f"glassbox serve exited {self.server.returncode}")
            if ready():
                return
            time.sleep(0.5)
        raise DemoError(f"timed out after {timeout:g} s waiting for {what}")

    def shadowing(self, version: str) -> None:
        def ready() -> bool:
            shadow = self.get("/shadow")
            return (
                shadow.get("state") == "scoring"
                and (shadow.get("challenger") or {}).get("version") == version
            )

        self.wait(ready, 120, f"the server shadowing challenger v{version}")
        shadow = self.get("/shadow")
        say(f"server: champion v{self.get('/ready')['model']['version']} answers, challenger "
            f"v{version} in shadow -> {shadow['dir']}")  # fmt: skip

    # -- traffic -------------------------------------------------------------------------------

    def traffic(self) -> list[dict[str, Any]]:
        from glassbox import features as gf
        from glassbox.config import load_settings
        from glassbox.data import read_source

        data = load_settings(REPO / "mlruns_config" / "glassbox.yaml", environ={}).data
        frame = gf.prepare(read_source(data.production, "production")[0], data).head(self.rows)
        records = []
        for row in frame.to_dict("records"):
            item: dict[str, Any] = {c: float(row[c]) for c in data.numeric_features}
            for c in data.categorical_features:
                value = row[c]
                item[c] = value if isinstance(value, (str, bool)) else str(value)
            if data.id_column:
                item["id"] = str(row[data.id_column])
            records.append(item)
        return records

    def replay(self, records: list[dict[str, Any]], threads: int = 4) -> None:
        before = self.get("/shadow")
        sizes, chunks, i = (1, 2, 4, 8, 16), [], 0
        while i < len(records):
            size = sizes[len(chunks) % len(sizes)]
            chunks.append(records[i : i + size])
            i += size
        codes: list[int] = []

        def send(part: list[list[dict[str, Any]]]) -> None:
            with httpx.Client(base_url=self.base, timeout=60) as client:
                codes.extend(client.post("/predict", json=body).status_code for body in part)

        started = time.monotonic()
        workers = [
            threading.Thread(target=send, args=(chunks[k::threads],)) for k in range(threads)
        ]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(1800)
        seconds = time.monotonic() - started
        failed = sum(code != 200 for code in codes)
        self.wait(lambda: self.get("/shadow").get("queue_rows") == 0, 300, "the shadow queue")
        after = self.get("/shadow")
        written = after["records"] - before.get("records", 0)
        dropped = after["dropped"] - before.get("dropped", 0)
        say(f"replayed {len(records)} rows in {len(codes)} requests ({seconds:.1f} s): "
            f"{len(codes) - failed} answered 200, {failed} failed; shadow records written "
            f"{written}, dropped {dropped}")  # fmt: skip
        if failed:
            raise DemoError(f"{failed} replayed requests failed")

    @contextmanager
    def load(self) -> Iterator[list[tuple[int, str | None]]]:
        """Requests one after another until the block ends: (status, version that answered)."""
        seen: list[tuple[int, str | None]] = []
        stop = threading.Event()
        record = self.traffic_one

        def loop() -> None:
            with httpx.Client(base_url=self.base, timeout=60) as client:
                while not stop.is_set():
                    response = client.post("/predict", json=record)
                    version = (response.json().get("model") or {}).get("version")
                    seen.append((response.status_code, version))

        worker = threading.Thread(target=loop)
        worker.start()
        try:
            yield seen
        finally:
            stop.set()
            worker.join(60)

    # -- the demonstration ---------------------------------------------------------------------

    def analyze(self, champion: str, challenger: str, expect: int) -> None:
        shadow = self.get("/shadow")["dir"]
        done = self.glassbox(
            "canary", "analyze", "--shadow", shadow, "--champion-version", champion,
            "--challenger-version", challenger, "--apply",
        )  # fmt: skip
        say(f"(exit {done.returncode})")
        if done.returncode != expect:
            raise DemoError(f"canary analyze exited {done.returncode}, expected {expect}")

    def run(self) -> None:
        step("1. v1: train, gate and register the champion")
        if "champion" not in self.aliases():
            self.train("-p", "seed=42")
        start = self.aliases()
        champion = start["champion"]

        step("2. a deliberately worse retrain (8 boosting iterations), through a loosened gate")
        self.train("-p", "seed=42", **WORSE)
        worse = self.aliases().get("challenger")
        if worse is None:
            raise DemoError("the worse model did not become the challenger")

        step("3. glassbox serve: the champion answers, the challenger scores in shadow")
        self.start_server()
        self.shadowing(worse)
        records = self.traffic()
        self.traffic_one = records[0]

        step(f"4. replay {len(records)} production rows through /predict")
        self.replay(records)

        step(f"5. canary analysis of v{worse} against v{champion} on the shadow log")
        self.analyze(champion, worse, expect=1)
        if self.aliases() != {"champion": champion}:
            raise DemoError(f"after the rollback verdict: {self.aliases()}")
        say(f"champion stays v{champion}; v{worse} rejected")

        step("6. a good retrain (seed 7) becomes the challenger; the server follows the alias")
        self.train("-p", "seed=7")
        good = self.aliases()["challenger"]
        self.shadowing(good)

        step(f"7. replay {len(records)} production rows again")
        self.replay(records)

        step(f"8. canary analysis of v{good} against v{champion}, applied while requests go on")
        with self.load() as seen:
            self.analyze(champion, good, expect=0)
            self.wait(lambda: any(v == good for _, v in seen[-5:]), 120, f"v{good} answering")
            time.sleep(1.0)
        versions = [v for _, v in seen]
        failed = sum(code != 200 for code, _ in seen)
        first = versions.index(good)
        say(f"during the promotion: {len(seen)} requests, {failed} failed; v{champion} answered "
            f"{first}, then v{good} answered {len(seen) - first}")  # fmt: skip
        if failed or set(versions[first:]) != {good}:
            raise DemoError("requests failed or an old version answered after the switch")

        step("9. glassbox model history")
        self.glassbox("model", "history")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else "")
    parser.add_argument(
        "--home", default=os.environ.get("GLASSBOX_CANARY_HOME", ".glassbox-canary")
    )
    parser.add_argument("--rows", type=int, default=8000, help="production rows replayed")
    parser.add_argument("--port", type=int, default=0, help="glassbox serve's port (0: free)")
    args = parser.parse_args(argv)
    demo = Demo(Path(args.home).resolve(), args.rows, args.port)
    try:
        demo.run()
    except DemoError as exc:
        say(f"\nFAILED: {exc}")
        return 1
    finally:
        demo.stop_server()
    say(f"\ndone: store {demo.home} (just ui, with GLASSBOX_HOME={demo.home}), server logs in "
        f"{demo.home / 'canary-demo'}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
