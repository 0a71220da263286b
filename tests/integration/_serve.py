"""Start the real ``glassbox serve`` (uvicorn, its own process) on a copy of a trained store."""

from __future__ import annotations

import json
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from tests.integration._pipeline import GLASSBOX, REPO, PipelineRun, env_for

MODEL = "car-loan-default"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def copy_store(trained: PipelineRun, into: Path) -> PipelineRun:
    """A private copy of a trained store (the session's own must not change)."""
    shutil.copytree(trained.home, into, ignore=shutil.ignore_patterns("serving"))
    return PipelineRun(into, 0, "", "")


@dataclass
class Server:
    store: PipelineRun
    port: int
    audit_dir: Path
    proc: subprocess.Popen[bytes]
    out: Path
    err: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def client(self, timeout: float = 60.0) -> httpx.Client:
        return httpx.Client(base_url=self.base, timeout=timeout)

    def wait_ready(self, timeout: float = 240.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"glassbox serve exited {self.proc.returncode}:\n{self.log()}")
            try:
                if httpx.get(f"{self.base}/ready", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise AssertionError(f"glassbox serve not ready within {timeout} s:\n{self.log()}")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 120.0) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise AssertionError(f"glassbox serve did not stop on {sig}:\n{self.log()}") from None

    def log(self) -> str:
        return self.err.read_text(errors="replace")[-6000:]

    def access_log(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.out.read_text().splitlines() if line.strip()]


def start(
    store: PipelineRun,
    workdir: Path,
    *,
    audit_dir: Path | None = None,
    model: str | None = None,
    port: int | None = None,
    wait: bool = True,
    **env: str,
) -> Server:
    """``glassbox serve`` on ``store`` (a new process), ready unless ``wait=False``."""
    workdir.mkdir(parents=True, exist_ok=True)
    audit = audit_dir or workdir / "audit"
    port = port or free_port()
    settings = {
        "GLASSBOX_SERVING__AUDIT__DIR": str(audit),
        "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false",
        "GLASSBOX_SERVING__AUDIT__UPLOAD_RETRY_SECONDS": "1",
    } | env
    cmd = [GLASSBOX, "serve", "--port", str(port)] + (["--model", model] if model else [])
    stamp = time.monotonic_ns()
    out, err = workdir / f"stdout-{stamp}.log", workdir / f"stderr-{stamp}.log"
    proc = subprocess.Popen(
        cmd,
        cwd=REPO,
        env=env_for(store.home, **settings),
        stdout=out.open("wb"),
        stderr=err.open("wb"),
    )
    server = Server(store, port, audit, proc, out, err)
    if wait:
        server.wait_ready()
    return server


def glassbox_cli(store: PipelineRun, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [GLASSBOX, *args],
        cwd=REPO,
        env=env_for(store.home, MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR="false"),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def metric_value(text: str, name: str, **labels: str) -> float:
    """Sum of the samples of ``name`` whose labels include ``labels`` (Prometheus text)."""
    from prometheus_client.parser import text_string_to_metric_families

    total = 0.0
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                total += sample.value
    return total
