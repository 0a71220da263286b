"""The glass-box record against a real tracking server: ``mlflow server`` built from
mlruns_config/server.yaml (MLflow's basic-auth app on, as in production) on a real PostgreSQL
backend store, users in their own PostgreSQL database, proxied artifacts.

0. The bootstrap (``glassbox.server.bootstrap``, the Job's code) creates the pipeline's user with
   EDIT on registry.yaml's resources through ``AuthServiceClient``; the pipeline runs as that
   user; a wrong password stops it with one line; a user who may only read cannot write.
1. ``glassbox run training`` with ``MLFLOW_TRACKING_URI`` pointing at the server records what it
   records on the embedded SQLite store (the assertions of test_training_pipeline.py, reused).
2. 16 concurrent writers lose no param, metric point or artifact.
3. The server SIGKILLed while ``train`` runs and restarted: the step's retry continues the same
   MLflow run and no step run is duplicated.

The test process itself reads the record as the admin (an operator inspecting it).
"""

from __future__ import annotations

import json
import math
import re
import signal
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest

from tests.integration import test_training_pipeline as recorded
from tests.integration._pipeline import GLASSBOX, REPO, PipelineRun, env_for, glassbox
from tests.integration._postgres import ADMIN, MlflowServer, PostgresCluster, stop_group

# Bounded waits sized for a loaded 2-core machine: a pipeline run against the server with the
# auth app (a permission lookup per request) took 8 min there, twice the idle time.
pytestmark = [pytest.mark.slow, pytest.mark.integration, pytest.mark.timeout(2400)]
PIPELINE_TIMEOUT = 1800

EXPERIMENT = "glassbox-car-loan"
T = TypeVar("T")


@dataclass
class ServedRun(PipelineRun):
    """A pipeline run whose record is on a tracking server (the helpers query ``tracking_uri``)."""

    server_url: str = ""
    uid: str = ""

    @property
    def tracking_uri(self) -> str:
        return self.server_url


PIPELINE_USER = ("glassbox-pipeline", "pipeline-secret-for-tests")


def _as(user: tuple[str, str]) -> dict[str, str]:
    """The environment variables a process needs to act as ``user`` on the server."""
    return {"MLFLOW_TRACKING_USERNAME": user[0], "MLFLOW_TRACKING_PASSWORD": user[1]}


def _bootstrap(server: MlflowServer) -> None:
    """What the glassbox-mlflow-bootstrap Job does: registry.yaml applied as the admin, the
    pipeline's user created and granted registry.yaml's pipeline_permission."""
    from glassbox.server import bootstrap

    environ = {
        "MLFLOW_TRACKING_URI": server.url,
        "MLFLOW_AUTH_ADMIN_PASSWORD": server.admin[1],
        "GLASSBOX_PIPELINE_USERNAME": PIPELINE_USER[0],
        "GLASSBOX_PIPELINE_PASSWORD": PIPELINE_USER[1],
    }
    bootstrap(environ, config_dir=server.config_dir, timeout=60)


@pytest.fixture(scope="module", autouse=True)
def _read_as_admin() -> Iterator[None]:
    from glassbox.server import credentials

    with credentials(ADMIN):
        yield


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresCluster]:
    with PostgresCluster() as cluster:
        yield cluster


def _server(postgres: PostgresCluster, database: str, where: Path) -> MlflowServer:
    return MlflowServer(
        postgres.create_database(database),
        where / "mlartifacts",
        where / "mlflow-server.log",
        auth_database_uri=postgres.create_database(f"{database}_auth"),
    )


@pytest.fixture(scope="session")
def tracking_server(
    postgres: PostgresCluster, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[MlflowServer]:
    with _server(postgres, "tracking", tmp_path_factory.mktemp("server")) as server:
        _bootstrap(server)
        yield server


@pytest.fixture(scope="session")
def served(tracking_server: MlflowServer, tmp_path_factory: pytest.TempPathFactory) -> ServedRun:
    home = tmp_path_factory.mktemp("served-home")
    r = glassbox(
        home,
        "run",
        "training",
        "-p",
        "seed=42",
        MLFLOW_TRACKING_URI=tracking_server.url,
        timeout=PIPELINE_TIMEOUT,
        **_as(PIPELINE_USER),
    )
    assert r.returncode == 0, (
        f"{r.stdout[-4000:]}\n{r.stderr[-4000:]}\n{tracking_server.log_tail()}"
    )
    uid = re.search(r"uid (\S+)\)", r.stdout)
    assert uid, r.stdout
    return ServedRun(home, r.returncode, r.stdout, r.stderr, tracking_server.url, uid.group(1))


def _workflow_runs(client: Any, uid: str) -> list[Any]:
    exp = client.get_experiment_by_name(EXPERIMENT)
    return list(
        client.search_runs(
            [exp.experiment_id], f"tags.`glassbox.workflow_uid` = '{uid}'", max_results=1000
        )
    )


def _one_run_per_step(client: Any, uid: str) -> dict[str, Any]:
    """step → its run; fails if a step has more than one run or the pipeline run is doubled."""
    runs = _workflow_runs(client, uid)
    kinds = Counter(r.data.tags.get("glassbox.run_kind") for r in runs)
    assert kinds == {"pipeline": 1, "step": len(recorded.STEPS)}, kinds
    steps = {
        r.data.tags["glassbox.step"]: r for r in runs if r.data.tags["glassbox.run_kind"] == "step"
    }
    assert set(steps) == recorded.STEPS
    return steps


@pytest.fixture(scope="session")
def steps(served: ServedRun) -> dict[str, Any]:
    return _one_run_per_step(served.client(), served.uid)


# 0. Users and permissions (MLflow's basic-auth app) -----------------------------------------


def test_bootstrap_gives_the_pipeline_user_edit_on_the_registry_and_nothing_more(
    tracking_server: MlflowServer,
) -> None:
    import mlflow
    from mlflow.server.auth.client import AuthServiceClient

    auth = AuthServiceClient(tracking_server.url)
    user = auth.get_user(PIPELINE_USER[0])
    assert not user.is_admin
    client = mlflow.MlflowClient(tracking_uri=tracking_server.url, registry_uri=tracking_server.url)
    for name in ("glassbox-car-loan", "glassbox-car-loan-monitoring"):
        experiment_id = client.get_experiment_by_name(name).experiment_id
        found = auth.get_user_permission(PIPELINE_USER[0], "experiment", experiment_id)
        assert found.permission == "EDIT", name
    model = auth.get_user_permission(PIPELINE_USER[0], "registered_model", "car-loan-default")
    assert model.permission == "EDIT"
    # basic_auth.ini's default_permission: anything else stays out of the user's reach
    other = client.create_experiment("glassbox-admins-only")
    assert auth.get_user_permission(PIPELINE_USER[0], "experiment", other).permission == (
        "NO_PERMISSIONS"
    )


def test_the_pipeline_runs_as_its_own_user(
    served: ServedRun, steps: dict[str, Any], tracking_server: MlflowServer
) -> None:
    """Every run of the pipeline was created by glassbox-pipeline: the server records the
    authenticated user as the run's user."""
    runs = _workflow_runs(served.client(), served.uid)
    assert {r.info.user_id for r in runs} == {PIPELINE_USER[0]}
    assert len(runs) == len(steps) + 1


def _refused_training_run(server: MlflowServer, user: tuple[str, str], home: Path) -> str:
    """``glassbox run training`` as ``user``: it stops before anything runs; its stderr."""
    before = len(_all_runs(server))
    r = glassbox(home, "run", "training", MLFLOW_TRACKING_URI=server.url, **_as(user), timeout=300)
    assert r.returncode != 0
    assert "Traceback" not in r.stdout + r.stderr
    assert len(_all_runs(server)) == before  # nothing started
    return r.stderr.strip()


def test_a_wrong_password_stops_the_pipeline_with_one_clear_line(
    tracking_server: MlflowServer, tmp_path: Path
) -> None:
    wrong = (PIPELINE_USER[0], "not-the-password")
    assert _refused_training_run(tracking_server, wrong, tmp_path) == (
        f"error: the tracking server {tracking_server.url} rejected the credentials of user "
        f"'{PIPELINE_USER[0]}' ($MLFLOW_TRACKING_USERNAME) while reading experiment "
        "'glassbox-car-loan' (HTTP 401): check $MLFLOW_TRACKING_USERNAME and "
        "$MLFLOW_TRACKING_PASSWORD"
    )


VIEWER = ("glassbox-viewer", "viewer-secret-for-tests")


@pytest.fixture(scope="module")
def viewer(tracking_server: MlflowServer) -> tuple[str, str]:
    """A user granted READ on the training experiment and the model (an analyst)."""
    import mlflow
    from mlflow.server.auth.client import AuthServiceClient

    auth = AuthServiceClient(tracking_server.url)
    auth.create_user(*VIEWER)
    client = mlflow.MlflowClient(tracking_uri=tracking_server.url, registry_uri=tracking_server.url)
    experiment_id = client.get_experiment_by_name("glassbox-car-loan").experiment_id
    auth.grant_user_permission(VIEWER[0], "experiment", experiment_id, "READ")
    auth.grant_user_permission(VIEWER[0], "registered_model", "car-loan-default", "READ")
    return VIEWER


def test_a_user_who_may_only_read_reads_the_record_but_cannot_write(
    served: ServedRun, viewer: tuple[str, str], tracking_server: MlflowServer
) -> None:
    import mlflow
    from mlflow.exceptions import MlflowException

    from glassbox.server import credentials

    with credentials(viewer):
        client = mlflow.MlflowClient(
            tracking_uri=tracking_server.url, registry_uri=tracking_server.url
        )
        runs = _workflow_runs(client, served.uid)
        assert len(runs) == len(recorded.STEPS) + 1
        experiment_id = runs[0].info.experiment_id
        attempts = {
            "create a run": lambda: client.create_run(experiment_id),
            "tag a run": lambda: client.set_tag(runs[0].info.run_id, "tampered", "yes"),
            "move the champion alias": lambda: client.set_registered_model_alias(
                "car-loan-default", "champion", "1"
            ),
        }
        outcomes = {}
        for what, attempt in attempts.items():
            try:
                attempt()
            except MlflowException as denied:
                outcomes[what] = denied.error_code
            else:
                outcomes[what] = "allowed"
        # one comparison of every attempt's outcome: a failure names the attempt let through
        assert outcomes == dict.fromkeys(attempts, "PERMISSION_DENIED")
    assert "tampered" not in served.client().get_run(runs[0].info.run_id).data.tags


def test_a_read_only_user_is_stopped_before_the_pipeline_starts(
    viewer: tuple[str, str], tracking_server: MlflowServer, tmp_path: Path
) -> None:
    assert _refused_training_run(tracking_server, viewer, tmp_path) == (
        f"error: the tracking server {tracking_server.url} gives user '{viewer[0]}' "
        "($MLFLOW_TRACKING_USERNAME) READ on experiment 'glassbox-car-loan'; the pipeline "
        "writes there and needs EDIT (registry.yaml pipeline_permission, granted by "
        "`python -m glassbox.server bootstrap`)"
    )


def test_a_step_denied_by_the_server_fails_permanently_with_one_line(
    viewer: tuple[str, str], tracking_server: MlflowServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a cluster each step is its own pod: there, the step's first write is refused and
    becomes a TrackingError (exit 2: the retryStrategy does not retry it)."""
    from glassbox.errors import TrackingError
    from glassbox.server import credentials
    from glassbox.tracking import step_run

    monkeypatch.setenv("MLFLOW_TRACKING_URI", tracking_server.url)
    with (
        credentials(viewer),
        pytest.raises(TrackingError) as denied,
        step_run("extract", seed=1),
    ):
        pytest.fail("the step body must not run")
    assert str(denied.value).startswith(
        f"the tracking server {tracking_server.url} denied user '{viewer[0]}' "
        "($MLFLOW_TRACKING_USERNAME) while starting the MLflow run of step extract "
        "(HTTP 403 PERMISSION_DENIED)"
    )


def _all_runs(server: MlflowServer) -> list[Any]:
    import mlflow

    client = mlflow.MlflowClient(tracking_uri=server.url, registry_uri=server.url)
    experiment = client.get_experiment_by_name("glassbox-car-loan")
    return list(client.search_runs([experiment.experiment_id], max_results=5000))


# 1. The training pipeline against the server -------------------------------------------------


def test_pipeline_against_the_server_succeeds_and_keeps_nothing_in_the_embedded_store(
    served: ServedRun, tracking_server: MlflowServer, steps: dict[str, Any]
) -> None:
    assert f"MLflow record: {tracking_server.url}" in served.stdout
    assert not (served.home / "mlflow.db").exists()
    score = steps["score"]
    assert score.info.artifact_uri.startswith("mlflow-artifacts:/")
    stored = list(tracking_server.artifacts_dir.rglob("audit_table.parquet"))
    assert [p for p in stored if score.info.run_id in p.parts], stored


def test_served_step_runs_nest_under_one_finished_pipeline_run(
    served: ServedRun, steps: dict[str, Any]
) -> None:
    recorded.test_every_step_run_is_nested_under_one_finished_pipeline_run({"a": served}, steps)


def test_served_step_runs_carry_seed_commit_lock_workflow_cost_and_system_metrics(
    steps: dict[str, Any],
) -> None:
    recorded.test_each_step_records_seed_code_orchestration_people_and_cost(steps)


def test_served_dataset_inputs_carry_digests_and_produced_by_links(steps: dict[str, Any]) -> None:
    recorded.test_datasets_carry_digest_source_schema_and_the_run_that_produced_them(steps)


def test_served_model_is_registered_with_the_champion_alias(
    served: ServedRun, steps: dict[str, Any]
) -> None:
    recorded.test_gate_verdict_logged_and_champion_alias_points_at_the_gated_model(
        {"a": served}, steps
    )


def test_served_audit_table_downloads_through_the_server(
    served: ServedRun, steps: dict[str, Any], tmp_path: Path
) -> None:
    recorded.test_audit_table_holds_hashes_for_every_prediction_and_no_feature_values(
        {"a": served}, steps, tmp_path
    )


RUN_LINE = re.compile(r"^(?P<pad> *)(?P<step>\w+)  run (?P<run>\w+)", re.MULTILINE)


def _upstream_edges(tree: str) -> set[tuple[str, str]]:
    """(run, upstream run) pairs of the indented tree ``glassbox lineage`` prints."""
    edges: set[tuple[str, str]] = set()
    path: list[str] = []
    for m in RUN_LINE.finditer(tree):
        depth = len(m["pad"]) // 2
        del path[depth:]
        if path:
            edges.add((path[-1], m["run"]))
        path.append(m["run"])
    return edges


def test_lineage_command_reads_the_chain_from_the_server(
    served: ServedRun, steps: dict[str, Any]
) -> None:
    score_id = steps["score"].info.run_id
    r = glassbox(
        served.home,
        "lineage",
        score_id,
        MLFLOW_TRACKING_URI=served.server_url,
        **_as(PIPELINE_USER),
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith(f"score  run {score_id}")
    ids = {s: steps[s].info.run_id for s in ("score", "train", "transform", "extract")}
    assert {
        (ids["score"], ids["train"]),
        (ids["train"], ids["transform"]),
        (ids["transform"], ids["extract"]),
    } <= _upstream_edges(r.stdout), r.stdout
    assert "produced predictions" in r.stdout and "consumed features-train" in r.stdout


# 2. Concurrent writers --------------------------------------------------------------------

WRITERS = 16
SINGLE_PARAMS, BATCH_PARAMS = 5, 30
SINGLE_POINTS, BATCH_POINTS = 15, 60
BATCH_METRICS = ("acc", "lr")
T0 = 1_700_000_000_000


def _value(writer: int, metric: str, step: int) -> float:
    return writer * 1000 + math.sin(step + len(metric)) / 3.0


def _expected_files(writer: int) -> dict[str, str]:
    return {
        "report.txt": f"writer {writer}\n" * 50,
        "nested/a.json": json.dumps({"writer": writer, "n": list(range(writer))}),
        "nested/deeper/b.csv": "".join(f"{writer},{k}\n" for k in range(200)),
    }


def _write(
    client: Any, experiment_id: str, writer: int, start: threading.Barrier, tmp: Path
) -> str:
    """One writer: its own run; params, metrics and artifacts through every logging path."""
    from mlflow.entities import Metric, Param

    run_id = str(client.create_run(experiment_id, run_name=f"writer-{writer}").info.run_id)
    start.wait(timeout=600)
    for k in range(SINGLE_PARAMS):
        client.log_param(run_id, f"single.{k}", f"{writer}-{k}")
    client.log_batch(
        run_id, params=[Param(f"batch.{k}", f"{writer}:{k}") for k in range(BATCH_PARAMS)]
    )
    for s in range(SINGLE_POINTS):
        client.log_metric(run_id, "loss", _value(writer, "loss", s), timestamp=T0 + s, step=s)
    points = [
        Metric(m, _value(writer, m, s), T0 + s, s)
        for s in range(BATCH_POINTS)
        for m in BATCH_METRICS
    ]
    for i in range(0, len(points), 25):
        client.log_batch(run_id, metrics=points[i : i + 25])
    files = _expected_files(writer)
    local = tmp / f"writer-{writer}"
    for name, text in files.items():
        (local / name).parent.mkdir(parents=True, exist_ok=True)
        (local / name).write_text(text)
    client.log_artifact(run_id, str(local / "report.txt"))
    client.log_artifacts(run_id, str(local / "nested"), "nested")
    client.set_terminated(run_id)
    return run_id


def _artifact_files(client: Any, run_id: str, path: str | None = None) -> list[str]:
    out: list[str] = []
    for f in client.list_artifacts(run_id, path):
        out += _artifact_files(client, run_id, f.path) if f.is_dir else [f.path]
    return out


def _check_writer(url: str, run_id: str, writer: int, tmp: Path) -> None:
    import mlflow
    import mlflow.artifacts

    client = mlflow.MlflowClient(tracking_uri=url, registry_uri=url)
    run = client.get_run(run_id)
    assert run.info.status == "FINISHED"
    expected_params = {f"single.{k}": f"{writer}-{k}" for k in range(SINGLE_PARAMS)} | {
        f"batch.{k}": f"{writer}:{k}" for k in range(BATCH_PARAMS)
    }
    assert run.data.params == expected_params
    lengths = {"loss": SINGLE_POINTS} | dict.fromkeys(BATCH_METRICS, BATCH_POINTS)
    assert set(run.data.metrics) == set(lengths)
    for metric, n in lengths.items():
        history = sorted(
            (m.step, m.timestamp, m.value) for m in client.get_metric_history(run_id, metric)
        )
        assert history == [(s, T0 + s, _value(writer, metric, s)) for s in range(n)], metric
    files = _expected_files(writer)
    assert sorted(_artifact_files(client, run_id)) == sorted(files)
    where = Path(
        mlflow.artifacts.download_artifacts(
            run_id=run_id, artifact_path="", dst_path=str(tmp), tracking_uri=url
        )
    )
    assert {name: (where / name).read_text() for name in files} == files


def test_sixteen_concurrent_writers_lose_no_param_metric_point_or_artifact(
    tracking_server: MlflowServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import mlflow

    # No client retries: a request the server fails under concurrency fails the test.
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.setenv("MLFLOW_HTTP_POOL_MAXSIZE", str(WRITERS))
    client = mlflow.MlflowClient(tracking_uri=tracking_server.url, registry_uri=tracking_server.url)
    experiment_id = client.create_experiment("glassbox-concurrent-writers")
    start = threading.Barrier(WRITERS)
    with ThreadPoolExecutor(WRITERS) as pool:
        futures = {
            w: pool.submit(_write, client, experiment_id, w, start, tmp_path)
            for w in range(WRITERS)
        }
        run_ids = {w: f.result(timeout=300) for w, f in futures.items()}
    assert len(set(run_ids.values())) == WRITERS
    assert len(client.search_runs([experiment_id], max_results=100)) == WRITERS
    for writer, run_id in run_ids.items():
        _check_writer(tracking_server.url, run_id, writer, tmp_path / f"check-{writer}")


# 3. The server killed and restarted while train runs ---------------------------------------

RUNNER_START = re.compile(r"^run\s+\S+\s+uid (\S+) · .* · run dir (.+)$", re.MULTILINE)
TRAIN_RETRY = re.compile(r"^retry\s+train\b.*$", re.MULTILINE)
RESTART_AFTER = 3.0  # seconds the server stays down at least


@dataclass
class _Outage:
    uid: str
    run_dir: Path
    train_run_id: str
    run_existed_when_train_log_appeared: bool
    down_seconds: float
    retry_line: str


def _wait_for(
    what: str,
    check: Callable[[], T | None],
    timeout: float,
    pipeline: subprocess.Popen[bytes],
    log: Path,
) -> T:
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        if pipeline.poll() is not None:
            pytest.fail(
                f"pipeline exited ({pipeline.returncode}) before {what}:\n{log.read_text()[-3000:]}"
            )
        if time.monotonic() > deadline:
            pytest.fail(f"no {what} after {timeout:g} s:\n{log.read_text()[-3000:]}")
        time.sleep(0.25)


def _running_train(client: Any, experiment_id: str, uid: str) -> str | None:
    query = (
        f"tags.`glassbox.workflow_uid` = '{uid}' and tags.`glassbox.run_kind` = 'step' "
        "and tags.`glassbox.step_key` = 'train' and attributes.status = 'RUNNING'"
    )
    runs = client.search_runs([experiment_id], query)
    return str(runs[0].info.run_id) if runs else None


def _kill_server_during_train(
    server: MlflowServer, pipeline: subprocess.Popen[bytes], stderr: Path
) -> _Outage:
    """Wait for train to start (its task log appears) and for its MLflow run to exist, SIGKILL
    the server, keep it down until the train attempt has failed (and at least RESTART_AFTER s),
    then restart it on the same port and database."""
    import mlflow

    client = mlflow.MlflowClient(tracking_uri=server.url, registry_uri=server.url)
    experiment = client.get_experiment_by_name(EXPERIMENT)
    assert experiment is not None, f"bootstrap did not create {EXPERIMENT}"
    experiment_id = experiment.experiment_id
    start = _wait_for(
        "the runner's start line",
        lambda: RUNNER_START.search(stderr.read_text()),
        300,
        pipeline,
        stderr,
    )
    uid, run_dir = start.group(1), Path(start.group(2).strip())
    train_log = run_dir / "logs" / "train.log"
    _wait_for(f"{train_log}", train_log.is_file, 900, pipeline, stderr)
    existed = _running_train(client, experiment_id, uid) is not None
    train_run_id = _wait_for(
        "a RUNNING train run on the server",
        lambda: _running_train(client, experiment_id, uid),
        300,
        pipeline,
        stderr,
    )
    server.kill()
    killed = time.monotonic()
    retry = _wait_for(
        "the train attempt failing",
        lambda: TRAIN_RETRY.search(stderr.read_text()),
        600,
        pipeline,
        stderr,
    )
    time.sleep(max(0.0, killed + RESTART_AFTER - time.monotonic()))
    down = time.monotonic() - killed
    server.start()
    return _Outage(uid, run_dir, train_run_id, existed, down, retry.group(0))


def test_server_killed_during_train_the_retried_step_resumes_the_same_run(
    postgres: PostgresCluster, tmp_path: Path
) -> None:
    import mlflow

    with _server(postgres, "restart", tmp_path) as server:
        _bootstrap(server)
        home, out, err = tmp_path / "home", tmp_path / "pipeline.out", tmp_path / "pipeline.err"
        # No silent client retries: a request to the dead server fails the step, and the
        # template's retryStrategy (backoff 10 s) runs it again.
        env = env_for(
            home,
            MLFLOW_TRACKING_URI=server.url,
            MLFLOW_HTTP_REQUEST_MAX_RETRIES="0",
            MLFLOW_HTTP_REQUEST_TIMEOUT="15",
            **_as(PIPELINE_USER),
        )
        with out.open("wb") as stdout, err.open("wb") as stderr:
            pipeline = subprocess.Popen(
                [GLASSBOX, "run", "training", "-p", "seed=42"],
                cwd=REPO,
                env=env,
                stdout=stdout,
                stderr=stderr,
                start_new_session=True,
            )
        try:
            outage = _kill_server_during_train(server, pipeline, err)
            returncode = pipeline.wait(timeout=PIPELINE_TIMEOUT)
        finally:
            if pipeline.poll() is None:
                stop_group(pipeline, signal.SIGTERM, grace=30.0)
        print(f"outage: {outage}")
        assert returncode == 0, f"{err.read_text()[-4000:]}\n{server.log_tail()}"

        client = mlflow.MlflowClient(tracking_uri=server.url, registry_uri=server.url)
        steps = _one_run_per_step(client, outage.uid)
        run = ServedRun(home, returncode, out.read_text(), err.read_text(), server.url, outage.uid)
        recorded.test_every_step_run_is_nested_under_one_finished_pipeline_run({"a": run}, steps)
        train = steps["train"]
        assert train.info.run_id == outage.train_run_id
        attempts = json.loads((outage.run_dir / "result.json").read_text())["tasks"]["train"][
            "attempts"
        ]
        assert len(attempts) >= 2, attempts
        assert attempts[0]["status"] != "Succeeded" and attempts[-1]["status"] == "Succeeded"
        assert int(train.data.tags["glassbox.resumed_attempt"]) == attempts[-1]["retry"] >= 1
        mv = client.get_model_version_by_alias("car-loan-default", "champion")
        assert (
            mv.tags["glassbox.model.fingerprint"] == train.data.tags["glassbox.model.fingerprint"]
        )
