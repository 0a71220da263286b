"""The CLI's own commands that are not covered elsewhere: mlflow-server, config, errors."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.conftest import REPO

GLASSBOX = str(Path(sys.executable).parent / "glassbox")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_mlflow_server_starts_from_mlruns_config_and_answers_health(tmp_path: Path) -> None:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
    env["GLASSBOX_HOME"] = str(tmp_path)
    proc = subprocess.Popen(
        [GLASSBOX, "mlflow-server", "--port", str(port)],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 120
        body = b""
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as r:
                    body = r.read()
                break
            except OSError:
                assert proc.poll() is None, proc.stdout.read().decode() if proc.stdout else ""
                time.sleep(0.5)
        assert body == b"OK"
        assert (tmp_path / "mlflow.db").is_file()
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_mlflow_server_rejects_a_server_url_as_backend(tmp_path: Path) -> None:
    r = subprocess.run(
        [GLASSBOX, "mlflow-server", "--backend-store-uri", "http://127.0.0.1:1"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert r.returncode == 1
    assert "expected a database URI" in r.stderr
    assert "Traceback" not in r.stderr


def test_config_schema_lists_the_sections() -> None:
    r = subprocess.run(
        [GLASSBOX, "config", "--schema"], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert '"tracking"' in r.stdout and '"monitoring"' in r.stdout


def test_bad_setting_is_one_line_not_a_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "g.yaml"
    bad.write_text("gate:\n  min_roc_auc: 7\n")
    r = subprocess.run(
        [GLASSBOX, "config"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
        env=os.environ | {"GLASSBOX_CONFIG": str(bad)},
    )
    assert r.returncode == 1
    assert "gate.min_roc_auc" in r.stderr
    assert "Traceback" not in r.stderr
