"""A real tracking server started the way the Deployment starts it, and the registry applied.

The server is ``python -m glassbox.server serve`` on 127.0.0.1 with a SQLite store in a temporary
directory: server.yaml as committed (MLflow's basic-auth app on, users in their own SQLite file)
except the address and one worker. The bootstrap Job's command creates the pipeline's user and
its permissions through MLflow's ``AuthServiceClient`` against that server.
"""

from __future__ import annotations

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

from glassbox.errors import TrackingError
from glassbox.server import (
    apply_registry,
    credentials,
    grant_pipeline_access,
    load_registry,
    load_server_settings,
    server_command,
    wait_until_healthy,
)
from tests.deploy.conftest import ROOT

pytestmark = [pytest.mark.integration, pytest.mark.timeout(240)]
CONFIG = ROOT / "mlruns_config"
ADMIN = ("admin", "admin-password-for-tests")
PIPELINE = ("glassbox-pipeline", "pipeline-password-for-tests")


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
    settings.update(host="127.0.0.1", port=port, workers=1)
    assert settings["app_name"] == "basic-auth"
    (config_dir / "server.yaml").write_text(yaml.safe_dump(settings))
    backend, artifacts = f"sqlite:///{tmp / 'mlflow.db'}", tmp / "artifacts"
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "MLFLOW_BACKEND_STORE_URI": backend,
        "MLFLOW_ARTIFACTS_DESTINATION": str(artifacts),
        "MLFLOW_AUTH_DATABASE_URI": f"sqlite:///{tmp / 'auth.db'}",
        "MLFLOW_AUTH_ADMIN_PASSWORD": ADMIN[1],
        "MLFLOW_FLASK_SERVER_SECRET_KEY": "flask-secret-for-tests",
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
def client(server: Server) -> Iterator[Any]:
    """An MlflowClient acting as the admin of basic_auth.ini."""
    import mlflow

    with credentials(ADMIN):
        yield mlflow.MlflowClient(tracking_uri=server.url, registry_uri=server.url)


def test_serve_replaces_itself_with_the_command_built_from_server_yaml(server: Server) -> None:
    cmdline = Path(f"/proc/{server.process.pid}/cmdline").read_bytes().decode().split("\0")[:-1]
    settings = load_server_settings(server.config_dir / "server.yaml")
    assert cmdline == server_command(server.backend, str(server.artifacts), settings=settings)


def test_apply_registry_creates_everything_and_is_idempotent(server: Server, client: Any) -> None:
    registry = load_registry(server.config_dir / "registry.yaml")
    first = apply_registry(client, registry)
    second = apply_registry(client, registry)
    assert first == second
    names = {spec.name for spec in registry.experiments}
    assert {
        "glassbox-car-loan",
        "glassbox-car-loan-monitoring",
        "glassbox-car-loan-serving",
        "glassbox-car-loan-delivery",
    } <= names
    assert set(first.experiment_ids) == names
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
    found = client.search_experiments(filter_string="name LIKE 'glassbox-car-loan%'")
    assert len(found) == len(names)


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
        auth=ADMIN,
        timeout=30,
    )
    assert resp.status_code == status


def test_without_credentials_the_server_answers_401_and_health_stays_open(server: Server) -> None:
    search = f"{server.url}/api/2.0/mlflow/experiments/search"
    assert requests.get(search, params={"max_results": 1}, timeout=30).status_code == 401
    wrong = requests.get(search, params={"max_results": 1}, auth=(ADMIN[0], "nope"), timeout=30)
    assert wrong.status_code == 401
    assert requests.get(f"{server.url}/health", timeout=30).status_code == 200


def _bootstrap_command(server: Server, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {
        **server.env,
        "MLFLOW_TRACKING_URI": server.url,
        "GLASSBOX_PIPELINE_USERNAME": PIPELINE[0],
        "GLASSBOX_PIPELINE_PASSWORD": PIPELINE[1],
        **env,
    }
    cmd = [sys.executable, "-m", "glassbox.server", "bootstrap"]
    cmd += ["--config-dir", str(server.config_dir), "--timeout", "60"]
    return subprocess.run(
        cmd, env=environ, capture_output=True, text=True, timeout=120, check=False
    )


def _status(server: Server, user: tuple[str, str]) -> int:
    resp = requests.get(
        f"{server.url}/api/2.0/mlflow/experiments/get-by-name",
        params={"experiment_name": "glassbox-car-loan"},
        auth=user,
        timeout=30,
    )
    return resp.status_code


def test_bootstrap_command_applies_the_registry_and_gives_the_pipeline_user_edit(
    server: Server,
) -> None:
    import mlflow
    from mlflow.server.auth.client import AuthServiceClient

    done = _bootstrap_command(server)
    assert done.returncode == 0, done.stderr
    assert "experiment glassbox-car-loan: id " in done.stdout
    assert "registered model car-loan-default" in done.stdout
    assert _status(server, PIPELINE) == 200
    with credentials(ADMIN):
        auth = AuthServiceClient(server.url)
        assert not auth.get_user(PIPELINE[0]).is_admin
        client = mlflow.MlflowClient(tracking_uri=server.url, registry_uri=server.url)
        for name in ("glassbox-car-loan", "glassbox-car-loan-monitoring"):
            experiment_id = client.get_experiment_by_name(name).experiment_id
            permission = auth.get_user_permission(PIPELINE[0], "experiment", experiment_id)
            assert permission.permission == "EDIT", name
        model = auth.get_user_permission(PIPELINE[0], "registered_model", "car-loan-default")
        assert model.permission == "EDIT"


def _bootstrap_in_process(server: Server, password: str) -> None:
    """The bootstrap Job's code, run in this process (the command is tested above)."""
    from glassbox.server import bootstrap

    environ = {
        "MLFLOW_TRACKING_URI": server.url,
        "MLFLOW_AUTH_ADMIN_PASSWORD": ADMIN[1],
        "GLASSBOX_PIPELINE_USERNAME": PIPELINE[0],
        "GLASSBOX_PIPELINE_PASSWORD": password,
    }
    bootstrap(environ, config_dir=server.config_dir, timeout=60)


def test_bootstrap_again_resets_the_password_and_restores_a_changed_grant(server: Server) -> None:
    import mlflow
    from mlflow.server.auth.client import AuthServiceClient

    _bootstrap_in_process(server, PIPELINE[1])
    with credentials(ADMIN):
        auth = AuthServiceClient(server.url)
        experiment_id = (
            mlflow.MlflowClient(tracking_uri=server.url, registry_uri=server.url)
            .get_experiment_by_name("glassbox-car-loan")
            .experiment_id
        )
        auth.revoke_user_permission(PIPELINE[0], "experiment", experiment_id)
        auth.grant_user_permission(PIPELINE[0], "experiment", experiment_id, "READ")
    rotated = (PIPELINE[0], "rotated-password-for-tests")
    _bootstrap_in_process(server, rotated[1])
    # One worker here: the worker that reset the password dropped its cached check at once.
    assert _status(server, rotated) == 200
    assert _status(server, PIPELINE) == 401  # the Secret's new value wins
    with credentials(ADMIN):
        found = AuthServiceClient(server.url).get_user_permission(
            PIPELINE[0], "experiment", experiment_id
        )
    assert found.permission == "EDIT"
    _bootstrap_in_process(server, PIPELINE[1])  # back to the fixture's password


def test_a_wrong_admin_password_stops_the_bootstrap_with_one_line(server: Server) -> None:
    done = _bootstrap_command(server, MLFLOW_AUTH_ADMIN_PASSWORD="not-the-admin-password")
    assert done.returncode == 1
    assert done.stderr.strip() == (
        f"glassbox.server bootstrap: error: {server.url} rejected the admin credentials of "
        "'admin' while applying registry.yaml (HTTP 401): check $MLFLOW_AUTH_ADMIN_PASSWORD"
    )


def test_grant_names_the_operation_the_server_refused(server: Server) -> None:
    from glassbox.server import AppliedRegistry

    applied = AppliedRegistry({}, ("car-loan-default",))
    with pytest.raises(
        TrackingError,
        match=r"granting 'glassbox-pipeline' SUPERUSER on registered_model car-loan-default "
        r"failed: INVALID_PARAMETER_VALUE: ",
    ):
        grant_pipeline_access(server.url, ADMIN, PIPELINE, applied, "SUPERUSER")
    with pytest.raises(TrackingError, match=r"rejected the admin credentials of 'admin'"):
        grant_pipeline_access(server.url, (ADMIN[0], "wrong"), PIPELINE, applied, "EDIT")


def test_wait_until_healthy_gives_up_on_a_dead_port() -> None:
    with pytest.raises(TrackingError, match=r"did not answer /health in 0\.5s"):
        wait_until_healthy(f"http://127.0.0.1:{_free_port()}", timeout=0.5)
