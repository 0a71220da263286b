"""A real PostgreSQL cluster and a real ``mlflow server`` on loopback, for the tracking tests.

PostgreSQL runs from the machine's binaries (``initdb``/``postgres`` on PATH, else the newest
``/usr/lib/postgresql/*/bin``) in a temporary directory, listening on 127.0.0.1 with its unix
socket in that directory. ``initdb`` refuses to run as root, so as root the cluster runs as
``nobody``. The MLflow server is started the way the Deployment starts it: the command and its
environment come from ``glassbox.server.prepare`` (server.yaml as committed, so MLflow's
basic-auth app is on, its users in their own PostgreSQL database), only the address differs.

Every process is started by these helpers in its own process group and stopped by its id with
bounded waits.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import IO, Any

import yaml

from glassbox._env import TELEMETRY_OFF

REPO = Path(__file__).resolve().parents[2]
PG_USER = "glassbox"
PG_PASSWORD = "pg-secret-for-tests"  # a throwaway cluster on loopback
RUN_AS = "nobody"
#: The basic-auth admin of a test server (basic_auth.ini's admin_username, throwaway password).
ADMIN = ("admin", "admin-secret-for-tests")


def pg_binary(name: str) -> str:
    """Path of a PostgreSQL program: PATH first, then the newest /usr/lib/postgresql/*/bin."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(
        glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0,
    )
    if not candidates:
        raise FileNotFoundError(
            f"PostgreSQL program '{name}' not found on PATH or under /usr/lib/postgresql/*/bin"
        )
    return candidates[-1]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _tail(path: Path, chars: int = 3000) -> str:
    try:
        return path.read_text(errors="replace")[-chars:]
    except OSError:
        return ""


def stop_group(proc: subprocess.Popen[Any], first: signal.Signals, grace: float) -> None:
    """Stop the process group of ``proc`` (a session leader these helpers started): send it
    ``first``, wait up to ``grace`` seconds for the leader, then SIGKILL whatever is left of the
    group (the leader is reaped only after that, so its group id cannot have been reused)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, first)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        try:
            exited = os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOWAIT | os.WNOHANG)
        except ChildProcessError:  # already reaped
            break
        if exited is not None:
            break
        time.sleep(0.1)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)


class PostgresCluster:
    """``initdb`` + ``postgres`` in a temporary directory; use as a context manager."""

    def __init__(self) -> None:
        self.base = Path(tempfile.mkdtemp(prefix="glassbox-pg-"))
        self.port = free_port()
        self.log_path = self.base / "postgres.log"
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        self._as: dict[str, Any] = {}
        if os.geteuid() == 0:
            entry = pwd.getpwnam(RUN_AS)
            os.chown(self.base, entry.pw_uid, entry.pw_gid)
            self._as = {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}

    @property
    def data_dir(self) -> Path:
        return self.base / "data"

    def _env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        return env | {"LC_ALL": "C", "LANG": "C", "HOME": str(self.base)}

    def _initdb(self) -> None:
        pwfile = self.base / "pwfile"
        pwfile.write_text(PG_PASSWORD + "\n")
        if self._as:
            os.chown(pwfile, self._as["user"], self._as["group"])
        cmd = [pg_binary("initdb"), "-D", str(self.data_dir), "-U", PG_USER]
        cmd += ["--pwfile", str(pwfile), "--auth-local=trust", "--auth-host=scram-sha-256"]
        cmd += ["--encoding=UTF8", "--locale=C", "--no-sync"]
        done = subprocess.run(
            cmd,
            cwd=self.base,
            env=self._env(),
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
            **self._as,
        )
        pwfile.unlink()
        if done.returncode != 0:
            raise RuntimeError(f"initdb failed ({done.returncode}): {done.stderr[-2000:]}")

    def start(self, timeout: float = 90.0) -> PostgresCluster:
        self._initdb()
        settings = {
            "listen_addresses": "127.0.0.1",
            "unix_socket_directories": str(self.base),
            "max_connections": "120",
            "shared_buffers": "32MB",
            "dynamic_shared_memory_type": "mmap",  # a container's /dev/shm may be tiny
            "fsync": "off",
            "synchronous_commit": "off",
            "full_page_writes": "off",
        }
        cmd = [pg_binary("postgres"), "-D", str(self.data_dir), "-p", str(self.port)]
        for key, value in settings.items():
            cmd += ["-c", f"{key}={value}"]
        self._log = self.log_path.open("wb")
        self._proc = subprocess.Popen(
            cmd,
            cwd=self.base,
            env=self._env(),
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            **self._as,
        )
        self._wait_ready(timeout)
        return self

    def connect(self, database: str = "postgres") -> Any:
        import psycopg2

        return psycopg2.connect(
            host="127.0.0.1",
            port=self.port,
            user=PG_USER,
            password=PG_PASSWORD,
            dbname=database,
            connect_timeout=5,
        )

    def _wait_ready(self, timeout: float) -> None:
        import psycopg2

        deadline = time.monotonic() + timeout
        while True:
            assert self._proc is not None
            if self._proc.poll() is not None:
                raise RuntimeError(
                    f"postgres exited with {self._proc.returncode}: {_tail(self.log_path)}"
                )
            try:
                self.connect().close()
                return
            except psycopg2.OperationalError:
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"postgres on port {self.port} not ready after {timeout:g}s: "
                        f"{_tail(self.log_path)}"
                    ) from None
                time.sleep(0.25)

    def create_database(self, name: str) -> str:
        """Create an empty database; return its SQLAlchemy URI (password authentication)."""
        conn = self.connect()
        try:
            conn.autocommit = True
            with conn.cursor() as cur:
                cur.execute(f'CREATE DATABASE "{name}"')
        finally:
            conn.close()
        return self.uri(name)

    def uri(self, database: str) -> str:
        return f"postgresql+psycopg2://{PG_USER}:{PG_PASSWORD}@127.0.0.1:{self.port}/{database}"

    def stop(self) -> None:
        """Fast shutdown (SIGINT), then SIGKILL after a bounded wait; remove the directory."""
        if self._proc is not None:
            stop_group(self._proc, signal.SIGINT, grace=30.0)
            self._proc = None
        if self._log is not None:
            self._log.close()
            self._log = None
        shutil.rmtree(self.base, ignore_errors=True)

    def __enter__(self) -> PostgresCluster:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def server_env() -> dict[str, str]:
    """What the server process inherits: no MLflow/Glassbox settings of the caller, telemetry off
    and no background job runner (not used by the pipelines; server.yaml says the same)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "GLASSBOX_"))}
    env |= TELEMETRY_OFF
    env["MLFLOW_SERVER_ENABLE_JOB_EXECUTION"] = "false"
    return env


class MlflowServer:
    """``mlflow server`` exactly as ``python -m glassbox.server serve`` runs it from server.yaml
    (basic-auth app on, admin :data:`ADMIN`), on a PostgreSQL backend store, users and
    permissions in ``auth_database_uri``, proxied artifacts in a local directory. ``kill`` +
    ``start`` restarts it on the same port and databases."""

    def __init__(
        self,
        backend_uri: str,
        artifacts_dir: Path,
        log_path: Path,
        *,
        auth_database_uri: str | None = None,
    ) -> None:
        self.backend_uri = backend_uri
        self.artifacts_dir = artifacts_dir
        self.log_path = log_path
        self.port = free_port()
        self.admin = ADMIN
        where = log_path.parent
        self.config_dir = where / "mlflow-config"
        self.config_dir.mkdir(parents=True, exist_ok=True)
        for name in ("registry.yaml", "basic_auth.ini"):
            shutil.copy(REPO / "mlruns_config" / name, self.config_dir / name)
        settings = yaml.safe_load((REPO / "mlruns_config" / "server.yaml").read_text())
        settings |= {"host": "127.0.0.1", "port": self.port}
        (self.config_dir / "server.yaml").write_text(yaml.safe_dump(settings))
        self.environ = server_env() | {
            "MLFLOW_BACKEND_STORE_URI": backend_uri,
            "MLFLOW_ARTIFACTS_DESTINATION": str(artifacts_dir),
            "MLFLOW_AUTH_DATABASE_URI": auth_database_uri or f"sqlite:///{where / 'auth.db'}",
            "MLFLOW_AUTH_ADMIN_PASSWORD": ADMIN[1],
            "MLFLOW_FLASK_SERVER_SECRET_KEY": "flask-secret-for-tests",
        }
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def prepared(self) -> tuple[list[str], dict[str, str]]:
        """The command and environment ``glassbox.server.prepare`` builds for this server."""
        from glassbox.server import prepare

        return prepare(
            self.environ, config_dir=self.config_dir, runtime_dir=self.log_path.parent / "run"
        )

    def command(self) -> list[str]:
        return self.prepared()[0]

    def start(self, timeout: float = 240.0) -> MlflowServer:
        from glassbox.errors import TrackingError
        from glassbox.server import wait_until_healthy

        self.artifacts_dir.mkdir(parents=True, exist_ok=True)
        command, env = self.prepared()
        with self.log_path.open("ab") as log:
            self._proc = subprocess.Popen(
                command,
                cwd=self.artifacts_dir.parent,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            wait_until_healthy(self.url, timeout, process=self._proc)
        except TrackingError as exc:
            self.stop()
            raise RuntimeError(f"{exc}\n{_tail(self.log_path)}") from None
        return self

    def kill(self) -> None:
        """SIGKILL the server and every process of its group (its uvicorn workers)."""
        if self._proc is not None:
            stop_group(self._proc, signal.SIGKILL, grace=0.0)
            self._proc = None

    def stop(self) -> None:
        if self._proc is not None:
            stop_group(self._proc, signal.SIGTERM, grace=20.0)
            self._proc = None

    def log_tail(self) -> str:
        return _tail(self.log_path)

    def __enter__(self) -> MlflowServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
