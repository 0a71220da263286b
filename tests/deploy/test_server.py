"""glassbox.server without a running server: the command line, the auth file, fail-fast checks."""

from __future__ import annotations

import configparser
import shutil
import stat
import sys
from pathlib import Path

import pytest

from glassbox.errors import ConfigError
from glassbox.server import (
    bootstrap,
    load_server_settings,
    prepare,
    render_auth_config,
    server_command,
)
from tests.deploy.conftest import ROOT

CONFIG = ROOT / "mlruns_config"
ENV = {
    "MLFLOW_BACKEND_STORE_URI": "postgresql://mlflow:pw@db:5432/mlflow",
    "MLFLOW_AUTH_DATABASE_URI": "postgresql://mlflow:pw@db:5432/mlflow_auth",
    "MLFLOW_FLASK_SERVER_SECRET_KEY": "k" * 32,
}


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    out = tmp_path / "config"
    shutil.copytree(CONFIG, out, ignore=shutil.ignore_patterns("glassbox.yaml", "kustom*"))
    return out


def test_server_command_follows_server_yaml() -> None:
    settings = load_server_settings(CONFIG / "server.yaml")
    cmd = server_command("postgresql://u:p@db/mlflow", "s3://bucket/artifacts", settings=settings)
    assert cmd[:4] == [sys.executable, "-m", "mlflow", "server"]
    assert cmd[4:] == [
        "--backend-store-uri",
        "postgresql://u:p@db/mlflow",
        "--host",
        "0.0.0.0",  # noqa: S104
        "--port",
        "5000",
        "--workers",
        str(settings.workers),
        "--uvicorn-opts",
        f"--timeout-keep-alive {settings.keep_alive_seconds}",
        "--serve-artifacts",
        "--artifacts-destination",
        "s3://bucket/artifacts",
        "--allowed-hosts",
        ",".join(settings.allowed_hosts),
        "--app-name",
        "basic-auth",
    ]


def test_server_command_overrides_host_and_port_and_can_drop_auth() -> None:
    settings = load_server_settings(CONFIG / "server.yaml")
    cmd = server_command("sqlite:///x.db", "/art", "127.0.0.1", 5999, settings=settings, auth=False)
    assert cmd[cmd.index("--host") + 1] == "127.0.0.1"
    assert cmd[cmd.index("--port") + 1] == "5999"
    assert "--app-name" not in cmd
    local = settings.model_copy(update={"serve_artifacts": False})
    cmd = server_command("sqlite:///x.db", "/art", settings=local)
    assert cmd[cmd.index("--no-serve-artifacts") + 1 :][:2] == ["--default-artifact-root", "/art"]


def test_auth_config_gets_the_database_uri_even_with_percent_signs(tmp_path: Path) -> None:
    uri = "postgresql://mlflow:p%40ss%25w@db:5432/mlflow_auth?sslmode=require"
    out = render_auth_config(CONFIG / "basic_auth.ini", uri, tmp_path / "run")
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    parser = configparser.ConfigParser()  # how MLflow reads it: with interpolation
    parser.read(out)
    assert parser["mlflow"]["database_uri"] == uri
    assert parser["mlflow"]["default_permission"] == "NO_PERMISSIONS"
    assert parser["mlflow"]["admin_username"] == "admin"
    assert "admin_password" not in parser["mlflow"]


def test_auth_config_keeps_the_file_default_without_a_uri(tmp_path: Path) -> None:
    out = render_auth_config(CONFIG / "basic_auth.ini", None, tmp_path)
    parser = configparser.ConfigParser()
    parser.read(out)
    assert parser["mlflow"]["database_uri"] == "sqlite:///basic_auth.db"


def test_auth_config_refuses_a_committed_password_and_missing_keys(tmp_path: Path) -> None:
    bad = tmp_path / "basic_auth.ini"
    bad.write_text(
        "[mlflow]\ndefault_permission = READ\ndatabase_uri = x\nadmin_username = a\n"
        "admin_password = hunter2hunter2\n"
    )
    with pytest.raises(ConfigError, match=r"basic_auth\.ini: \[mlflow\] admin_password must not"):
        render_auth_config(bad, None, tmp_path / "out")
    bad.write_text("[mlflow]\ndatabase_uri = x\nadmin_username = a\n")
    with pytest.raises(ConfigError, match=r"\[mlflow\] default_permission is missing"):
        render_auth_config(bad, None, tmp_path / "out")
    with pytest.raises(ConfigError, match=r"absent\.ini: file not found"):
        render_auth_config(tmp_path / "absent.ini", None, tmp_path / "out")


def test_prepare_builds_the_command_and_environment(config_dir: Path, tmp_path: Path) -> None:
    env = {**ENV, "MLFLOW_SQLALCHEMYSTORE_POOL_SIZE": "3"}
    cmd, out = prepare(env, config_dir=config_dir, runtime_dir=tmp_path, require_packages=False)
    assert cmd[cmd.index("--backend-store-uri") + 1] == ENV["MLFLOW_BACKEND_STORE_URI"]
    assert cmd[cmd.index("--artifacts-destination") + 1] == "./mlartifacts"
    assert out["MLFLOW_SQLALCHEMYSTORE_POOL_SIZE"] == "3"  # an explicit setting wins
    assert out["MLFLOW_SQLALCHEMYSTORE_MAX_OVERFLOW"] == "10"
    assert out["MLFLOW_SQLALCHEMYSTORE_POOL_RECYCLE"] == "1800"
    assert out["MLFLOW_SERVER_ENABLE_JOB_EXECUTION"] == "false"
    assert Path(out["MLFLOW_AUTH_CONFIG_PATH"]).parent == tmp_path
    assert "mlflow_auth" in Path(out["MLFLOW_AUTH_CONFIG_PATH"]).read_text()


def test_prepare_keeps_telemetry_off(
    config_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, value in ENV.items():
        monkeypatch.setenv(key, value)
    _, out = prepare(config_dir=config_dir, runtime_dir=tmp_path, require_packages=False)
    assert out["MLFLOW_DISABLE_TELEMETRY"] == "true"
    assert out["DO_NOT_TRACK"] == "true"


@pytest.mark.parametrize(
    ("missing", "message"),
    [
        ("MLFLOW_BACKEND_STORE_URI", r"\$MLFLOW_BACKEND_STORE_URI is not set: expected the"),
        ("MLFLOW_FLASK_SERVER_SECRET_KEY", r"\$MLFLOW_FLASK_SERVER_SECRET_KEY is not set"),
    ],
)
def test_prepare_names_a_missing_variable(
    missing: str, message: str, config_dir: Path, tmp_path: Path
) -> None:
    env = {k: v for k, v in ENV.items() if k != missing}
    with pytest.raises(ConfigError, match=message):
        prepare(env, config_dir=config_dir, runtime_dir=tmp_path, require_packages=False)


def test_prepare_names_a_package_the_image_lacks(
    config_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "flask_wtf", None)  # find_spec → not installed
    with pytest.raises(ConfigError, match=r"basic-auth needs Flask-WTF .*'flask_wtf' is not"):
        prepare(ENV, config_dir=config_dir, runtime_dir=tmp_path)
    monkeypatch.setitem(sys.modules, "boto3", None)
    env = {**ENV, "MLFLOW_ARTIFACTS_DESTINATION": "s3://bucket/mlflow"}
    with pytest.raises(ConfigError, match=r"s3://bucket/mlflow needs boto3.*'boto3' is not"):
        prepare(env, config_dir=config_dir, runtime_dir=tmp_path)


@pytest.mark.parametrize(
    ("missing", "message"),
    [
        ("MLFLOW_TRACKING_URI", r"\$MLFLOW_TRACKING_URI is not set"),
        ("MLFLOW_AUTH_ADMIN_PASSWORD", r"\$MLFLOW_AUTH_ADMIN_PASSWORD is not set"),
        ("GLASSBOX_PIPELINE_PASSWORD", r"\$GLASSBOX_PIPELINE_PASSWORD is not set"),
    ],
)
def test_bootstrap_names_a_missing_variable_before_waiting(missing: str, message: str) -> None:
    env = {
        "MLFLOW_TRACKING_URI": "http://127.0.0.1:9",  # nothing listens: must fail before waiting
        "MLFLOW_AUTH_ADMIN_PASSWORD": "a" * 16,
        "GLASSBOX_PIPELINE_USERNAME": "glassbox-pipeline",
        "GLASSBOX_PIPELINE_PASSWORD": "p" * 16,
    }
    del env[missing]
    with pytest.raises(ConfigError, match=message):
        bootstrap(env, config_dir=CONFIG, timeout=0.1)
