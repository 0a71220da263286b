"""From server.yaml and basic_auth.ini to a running ``mlflow server`` process."""

from __future__ import annotations

import configparser
import importlib.util
import os
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NoReturn

from glassbox.errors import ConfigError, TrackingError
from glassbox.server._settings import CONFIG_DIR, ServerSettings, load_server_settings

POOL_ENV = {
    "size": "MLFLOW_SQLALCHEMYSTORE_POOL_SIZE",
    "max_overflow": "MLFLOW_SQLALCHEMYSTORE_MAX_OVERFLOW",
    "recycle_seconds": "MLFLOW_SQLALCHEMYSTORE_POOL_RECYCLE",
}
JOB_EXECUTION_ENV = "MLFLOW_SERVER_ENABLE_JOB_EXECUTION"
ADMIN_PASSWORD_ENV = "MLFLOW_AUTH_ADMIN_PASSWORD"  # noqa: S105  (a variable name)
SECRET_KEY_ENV = "MLFLOW_FLASK_SERVER_SECRET_KEY"  # noqa: S105  (a variable name)


def server_command(
    backend_store_uri: str,
    artifacts_dir: str,
    host: str | None = None,
    port: int | None = None,
    *,
    settings: ServerSettings | None = None,
    auth: bool | None = None,
) -> list[str]:
    """The ``mlflow server`` command line for ``settings`` (default: server.yaml).

    ``artifacts_dir`` is where proxied artifacts go: a directory or an ``s3://`` URI. ``host`` and
    ``port`` override the file; ``auth=False`` leaves out ``--app-name`` (a throwaway server)."""
    s = settings or load_server_settings()
    cmd = [sys.executable, "-m", "mlflow", "server", "--backend-store-uri", backend_store_uri]
    cmd += ["--host", host or s.host, "--port", str(port or s.port), "--workers", str(s.workers)]
    cmd += ["--uvicorn-opts", f"--timeout-keep-alive {s.keep_alive_seconds}"]
    if s.serve_artifacts:
        cmd += ["--serve-artifacts", "--artifacts-destination", artifacts_dir]
    else:
        cmd += ["--no-serve-artifacts", "--default-artifact-root", artifacts_dir]
    if s.allowed_hosts:
        cmd += ["--allowed-hosts", ",".join(s.allowed_hosts)]
    if s.app_name and auth is not False:
        cmd += ["--app-name", s.app_name]
    return cmd


def render_auth_config(template: Path, database_uri: str | None, out_dir: Path) -> Path:
    """A private (0600) copy of ``basic_auth.ini`` in ``out_dir``, ``database_uri`` filled in.

    MLflow reads the file with interpolation on, so a ``%`` of the URI (a URL-encoded password)
    is written as ``%%``. The file never holds the admin password: MLflow takes it from
    ``$MLFLOW_AUTH_ADMIN_PASSWORD``."""
    parser = configparser.ConfigParser(interpolation=None)
    try:
        found = parser.read(template)
    except configparser.Error as exc:
        raise ConfigError(f"{template}: not a valid INI file: {exc.message}") from None
    if not found:
        raise ConfigError(f"{template}: file not found")
    for key in ("default_permission", "database_uri", "admin_username"):
        if not parser.has_option("mlflow", key):
            raise ConfigError(f"{template}: [mlflow] {key} is missing")
    if parser.has_option("mlflow", "admin_password"):
        raise ConfigError(
            f"{template}: [mlflow] admin_password must not be in the file; "
            f"set ${ADMIN_PASSWORD_ENV} instead"
        )
    if database_uri:
        parser.set("mlflow", "database_uri", database_uri.replace("%", "%%"))
    out_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    out = out_dir / "basic_auth.ini"
    with os.fdopen(os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as fh:
        parser.write(fh)
    return out


def _require(module: str, why: str) -> None:
    if importlib.util.find_spec(module) is None:
        raise ConfigError(f"{why}, but the Python package '{module}' is not installed")


def prepare(
    environ: Mapping[str, str] | None = None,
    *,
    config_dir: Path = CONFIG_DIR,
    runtime_dir: Path | None = None,
    require_packages: bool = True,
) -> tuple[list[str], dict[str, str]]:
    """Check everything the server needs, then return the command and environment to run.

    Reads ``config_dir``/server.yaml; the backend store URI, the artifacts destination and the
    auth database URI come from the environment variables it names. Pool sizes and the job
    execution switch are exported unless already set. Fails with one line naming the missing
    variable, file or package (``require_packages=False`` checks the configuration only, e.g.
    a manifest's environment on a machine without the server's optional packages)."""
    env = dict(os.environ if environ is None else environ)
    s = load_server_settings(config_dir / "server.yaml")
    backend = env.get(s.backend_store_env, "")
    if not backend:
        raise ConfigError(
            f"${s.backend_store_env} is not set: expected the tracking store's SQLAlchemy URI "
            "(postgresql+psycopg2://USER:PASSWORD@HOST:5432/DATABASE)"
        )
    destination = env.get(s.artifacts_destination_env) or s.artifacts_destination
    if destination.startswith("s3://") and require_packages:
        _require("boto3", f"artifacts destination {destination} needs boto3")
    for field, name in POOL_ENV.items():
        env.setdefault(name, str(getattr(s.pool, field)))
    env.setdefault(JOB_EXECUTION_ENV, str(s.job_execution).lower())
    if s.app_name:
        if require_packages:
            _require("flask_wtf", f"app_name {s.app_name} needs Flask-WTF (mlflow[auth])")
        if not env.get(SECRET_KEY_ENV):
            raise ConfigError(f"${SECRET_KEY_ENV} is not set: {s.app_name} needs a static key")
        out_dir = runtime_dir or Path(tempfile.gettempdir()) / "glassbox-mlflow"
        database_uri = env.get(s.auth_database_env)
        ini = render_auth_config(config_dir / "basic_auth.ini", database_uri, out_dir)
        env["MLFLOW_AUTH_CONFIG_PATH"] = str(ini)
    return server_command(backend, destination, settings=s), env


def serve(environ: Mapping[str, str] | None = None, *, config_dir: Path = CONFIG_DIR) -> NoReturn:
    """Replace this process with the MLflow server (so a pod's SIGTERM reaches it directly)."""
    cmd, env = prepare(environ, config_dir=config_dir)
    os.execve(cmd[0], cmd, env)  # noqa: S606  (argv list from server.yaml, no shell)


def wait_until_healthy(url: str, timeout: float = 60.0, *, process: Any = None) -> None:
    """Poll ``url``/health until it answers 200. Fails after ``timeout`` seconds, or as soon as
    ``process`` (the ``subprocess.Popen`` serving ``url``, when given) has exited."""
    deadline = time.monotonic() + timeout
    health = url.rstrip("/") + "/health"
    while True:
        if process is not None and process.poll() is not None:
            raise TrackingError(f"MLflow server for {url} exited with code {process.returncode}")
        try:
            with urllib.request.urlopen(health, timeout=2) as resp:  # noqa: S310  (http URL)
                if resp.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        if time.monotonic() > deadline:
            raise TrackingError(f"MLflow server at {url} did not answer /health in {timeout:g}s")
        time.sleep(0.25)
