"""OpenLineage transports are openlineage-python's, configured its way: HTTP to a real receiver
on 127.0.0.1 (Marquez's endpoint), a config file, the embedded JSON-lines default; a receiver
that is down never fails a step."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from glassbox.openlineage import EVENTS_FILE, user_configured
from tests.integration._pipeline import REPO, env_for
from tests.openlineage._spec import errors


def run_step(home: Path, *outcomes: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = env_for(home, GLASSBOX_WORKFLOW_UID="", PYTHONPATH=str(REPO), **env)
    return subprocess.run(
        [sys.executable, "-m", "tests.openlineage._fake_step", *outcomes],
        cwd=REPO, env=environ, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One store for every stand-in step (a new SQLite store costs its migrations)."""
    return tmp_path_factory.mktemp("home")


def posted(server: HTTPServer) -> list[dict[str, Any]]:
    return [json.loads(request.data) for request, _ in server.log]


def test_http_transport_posts_start_complete_and_fail_to_the_lineage_endpoint(
    httpserver: HTTPServer, home: Path
) -> None:
    httpserver.expect_request("/api/v1/lineage", method="POST").respond_with_data("", 201)
    url = httpserver.url_for("/").rstrip("/")
    both = run_step(home, "ok", "fail", OPENLINEAGE_URL=url)  # Marquez's simple form
    assert both.returncode == 3, both.stderr
    assert "step failed: the stand-in step failed on purpose" in both.stderr
    events = posted(httpserver)
    assert [e["eventType"] for e in events] == ["START", "COMPLETE", "START", "FAIL"]
    for event in events:
        assert errors(event) == []
        assert event["job"]["name"] == "training.transform"
    complete, fail = events[1], events[3]
    assert {d["name"].rsplit("/", 1)[-1] for d in complete["inputs"]} == {"in.csv"}
    assert complete["outputs"][0]["name"].endswith("features/out.parquet")
    assert complete["inputs"][0]["facets"]["version"]["datasetVersion"]
    message = fail["run"]["facets"]["errorMessage"]["message"]
    assert message == "RuntimeError: the stand-in step failed on purpose"
    assert not (home / EVENTS_FILE).exists()  # configured: no embedded file


def test_a_config_file_and_a_receiver_that_is_down(home: Path, tmp_path: Path) -> None:
    """(The embedded default, a JSON-lines file under GLASSBOX_HOME, is what every pipeline
    run in tests/integration writes: test_openlineage_events.py reads it.)"""
    chosen = tmp_path / "chosen.jsonl"
    config = tmp_path / "openlineage.yml"
    config.write_text(f"transport:\n  type: file\n  log_file_path: {chosen}\n  append: true\n")
    by_file = run_step(home, "ok", OPENLINEAGE_CONFIG=str(config))
    assert by_file.returncode == 0, by_file.stderr
    assert len(chosen.read_text().splitlines()) == 2
    assert not (home / EVENTS_FILE).exists()
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    down = run_step(
        home, "ok", OPENLINEAGE__TRANSPORT__TYPE="http",
        OPENLINEAGE__TRANSPORT__URL=f"http://127.0.0.1:{port}",
        OPENLINEAGE__TRANSPORT__TIMEOUT="2", OPENLINEAGE__TRANSPORT__RETRY__TOTAL="0",
    )  # fmt: skip
    assert down.returncode == 0, down.stderr
    assert "OpenLineage COMPLETE event not sent" in down.stderr


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, False),
        ({"OPENLINEAGE_URL": "http://127.0.0.1:5000"}, True),
        ({"OPENLINEAGE__TRANSPORT__TYPE": "console"}, True),
        ({"OPENLINEAGE_DISABLED": "true"}, True),
    ],
)
def test_openlineage_configuration_is_detected_the_client_s_way(
    environ: dict[str, str], expected: bool, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert user_configured(environ) is expected
