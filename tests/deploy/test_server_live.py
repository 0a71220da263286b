"""A real tracking server started the way the Deployment starts it, and the registry applied.

The server is ``python -m glassbox.server serve`` on 127.0.0.1 with a SQLite store in a temporary
directory: server.yaml as committed except the address, one worker and no auth app (Flask-WTF,
which MLflow's basic-auth app needs, is not in requirements.lock). The basic-auth REST calls of
``grant_pipeline_access`` are checked against a loopback HTTP server speaking that API.
"""

from __future__ import annotations

import base64
import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml
from pytest_httpserver import HTTPServer

from glassbox.errors import TrackingError
from glassbox.server import (
    AppliedRegistry,
    apply_registry,
    grant_pipeline_access,
    load_registry,
    load_server_settings,
    server_command,
    wait_until_healthy,
)
from tests.deploy.conftest import ROOT

pytestmark = [pytest.mark.integration, pytest.mark.timeout(240)]
CONFIG = ROOT / "mlruns_config"


@dataclass(frozen=True)
class Server:
    url: str
    process: subprocess.Popen[bytes]
    config_dir: Path
    backend: str
    artifacts: Path
    env: dict[str, str]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("mlflow")
    config_dir = tmp / "config"
    config_dir.mkdir()
    for name in ("registry.yaml", "basic_auth.ini"):
        shutil.copy(CONFIG / name, config_dir / name)
    settings = yaml.safe_load((CONFIG / "server.yaml").read_text())
    port = _free_port()
    settings.update(host="127.0.0.1", port=port, workers=1, app_name=None)
    (config_dir / "server.yaml").write_text(yaml.safe_dump(settings))
    backend, artifacts = f"sqlite:///{tmp / 'mlflow.db'}", tmp / "artifacts"
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "MLFLOW_BACKEND_STORE_URI": backend,
        "MLFLOW_ARTIFACTS_DESTINATION": str(artifacts),
    }
    log = (tmp / "server.log").open("wb")
    cmd = [sys.executable, "-m", "glassbox.server", "serve", "--config-dir", str(config_dir)]
    process = subprocess.Popen(cmd, cwd=tmp, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(url, timeout=180, process=process)
        yield Server(url, process, config_dir, backend, artifacts, env)
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        log.close()


@pytest.fixture
def client(server: Server) -> Any:
    import mlflow

    return mlflow.MlflowClient(tracking_uri=server.url, registry_uri=server.url)


def test_serve_replaces_itself_with_the_command_built_from_server_yaml(server: Server) -> None:
    cmdline = Path(f"/proc/{server.process.pid}/cmdline").read_bytes().decode().split("\0")[:-1]
    settings = load_server_settings(server.config_dir / "server.yaml")
    assert cmdline == server_command(server.backend, str(server.artifacts), settings=settings)


def test_apply_registry_creates_everything_and_is_idempotent(server: Server, client: Any) -> None:
    registry = load_registry(server.config_dir / "registry.yaml")
    first = apply_registry(client, registry)
    second = apply_registry(client, registry)
    assert first == second
    assert set(first.experiment_ids) == {
        "glassbox-car-loan",
        "glassbox-car-loan-monitoring",
        "glassbox-car-loan-serving",
    }
    for spec in registry.experiments:
        experiment = client.get_experiment_by_name(spec.name)
        assert experiment.experiment_id == first.experiment_ids[spec.name]
        assert experiment.lifecycle_stage == "active"
        assert experiment.tags["mlflow.note.content"] == spec.description
        assert spec.tags.items() <= experiment.tags.items()
        assert experiment.artifact_location.startswith("mlflow-artifacts:")
    model = client.get_registered_model("car-loan-default")
    spec = registry.registered_models[0]
    assert model.description == spec.description
    assert spec.tags.items() <= model.tags.items()
    assert len(client.search_experiments(filter_string="name LIKE 'glassbox-car-loan%'")) == 3


def test_apply_registry_restores_what_was_changed_and_keeps_hand_added_tags(
    server: Server,
    client: Any,
) -> None:
    registry = load_registry(server.config_dir / "registry.yaml")
    ids = apply_registry(client, registry).experiment_ids
    training = ids["glassbox-car-loan"]
    client.set_experiment_tag(training, "glassbox.pipeline", "tampered")
    client.set_experiment_tag(training, "team", "risk")
    client.delete_experiment(ids["glassbox-car-loan-monitoring"])
    client.update_registered_model("car-loan-default", description="stale")
    again = apply_registry(client, registry)
    assert again.experiment_ids == ids
    tags = client.get_experiment(training).tags
    assert tags["glassbox.pipeline"] == "training"
    assert tags["team"] == "risk"
    monitoring = client.get_experiment(ids["glassbox-car-loan-monitoring"])
    assert monitoring.lifecycle_stage == "active"
    assert client.get_registered_model("car-loan-default").description.startswith("Car-loan")


def test_artifacts_go_through_the_server_to_the_destination(server: Server, client: Any) -> None:
    ids = apply_registry(client, load_registry(server.config_dir / "registry.yaml"))
    run = client.create_run(ids.experiment_ids["glassbox-car-loan"])
    client.log_text(run.info.run_id, "proxied", "notes/check.txt")
    stored = list(server.artifacts.rglob("check.txt"))
    assert len(stored) == 1
    assert run.info.run_id in stored[0].parts
    assert stored[0].read_text() == "proxied"


@pytest.mark.parametrize(
    ("host", "status"),
    [
        ("glassbox-mlflow:5000", 200),
        ("glassbox-mlflow.glassbox.svc.cluster.local:5000", 200),
        ("localhost:5000", 200),
        ("attacker.example:5000", 403),
        ("glassbox-mlflow", 403),
    ],
)
def test_only_the_service_names_of_server_yaml_pass_the_host_check(
    server: Server, host: str, status: int
) -> None:
    resp = requests.get(
        f"{server.url}/api/2.0/mlflow/experiments/search",
        params={"max_results": 1},
        headers={"Host": host},
        timeout=30,
    )
    assert resp.status_code == status


def test_bootstrap_command_applies_the_registry(server: Server) -> None:
    env = {**server.env, "MLFLOW_TRACKING_URI": server.url}
    cmd = [
        sys.executable,
        "-m",
        "glassbox.server",
        "bootstrap",
        "--config-dir",
        str(server.config_dir),
    ]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert "experiment glassbox-car-loan: id " in done.stdout
    assert "registered model car-loan-default" in done.stdout


def test_wait_until_healthy_gives_up_on_a_dead_port() -> None:
    with pytest.raises(TrackingError, match=r"did not answer /health in 0\.5s"):
        wait_until_healthy(f"http://127.0.0.1:{_free_port()}", timeout=0.5)


# ---- the basic-auth REST calls, against a loopback server speaking that API ----------------

ADMIN = ("admin", "admin-password-123")
USER = ("glassbox-pipeline", "pipeline-password-456")
APPLIED = AppliedRegistry(
    {"glassbox-car-loan": "1", "glassbox-car-loan-monitoring": "2"}, ("car-loan-default",)
)
AUTH = {"Authorization": "Basic " + base64.b64encode(":".join(ADMIN).encode()).decode()}
EXISTS = {"error_code": "RESOURCE_ALREADY_EXISTS", "message": "exists"}


def _grant(resource_type: str, resource_id: str) -> dict[str, str]:
    return {
        "username": USER[0],
        "resource_type": resource_type,
        "resource_id": resource_id,
        "permission": "EDIT",
    }


def _grants() -> list[dict[str, str]]:
    return [
        _grant("experiment", "1"),
        _grant("experiment", "2"),
        _grant("registered_model", "car-loan-default"),
    ]


def test_grant_creates_the_user_and_grants_each_resource(httpserver: HTTPServer) -> None:
    creds = {"username": USER[0], "password": USER[1]}
    httpserver.expect_ordered_request(
        "/api/2.0/mlflow/users/create", method="POST", json=creds, headers=AUTH
    ).respond_with_json({"user": {"id": 2, "username": USER[0]}})
    for body in _grants():
        httpserver.expect_ordered_request(
            "/api/3.0/mlflow/users/permissions/grant", method="POST", json=body, headers=AUTH
        ).respond_with_json({})
    grant_pipeline_access(httpserver.url_for("/"), ADMIN, USER, APPLIED, "EDIT")
    httpserver.check_assertions()
    assert len(httpserver.log) == 4


def test_grant_resets_an_existing_users_password_and_keeps_existing_grants(
    httpserver: HTTPServer,
) -> None:
    creds = {"username": USER[0], "password": USER[1]}
    httpserver.expect_ordered_request(
        "/api/2.0/mlflow/users/create", method="POST", json=creds
    ).respond_with_json(EXISTS, status=400)
    httpserver.expect_ordered_request(
        "/api/2.0/mlflow/users/update-password", method="PATCH", json=creds, headers=AUTH
    ).respond_with_json({})
    for body in _grants():
        httpserver.expect_ordered_request(
            "/api/3.0/mlflow/users/permissions/grant", method="POST", json=body
        ).respond_with_json(EXISTS, status=400)
    grant_pipeline_access(httpserver.url_for("/"), ADMIN, USER, APPLIED, "EDIT")
    httpserver.check_assertions()
    assert len(httpserver.log) == 5


def test_grant_fails_with_the_endpoint_and_the_servers_error(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/api/2.0/mlflow/users/create").respond_with_json(
        {"error_code": "PERMISSION_DENIED", "message": "admin only"}, status=403
    )
    with pytest.raises(TrackingError, match=r"POST .*/users/create: HTTP 403 PERMISSION_DENIED"):
        grant_pipeline_access(httpserver.url_for("/"), ADMIN, USER, APPLIED, "EDIT")
