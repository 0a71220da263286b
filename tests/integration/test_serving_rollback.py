"""A rollback during load: two real ``glassbox serve`` processes (uvicorn, as two replicas on their
own audit volumes) follow ``@champion`` = v2 while four clients keep sending requests;
``glassbox model rollback`` moves the alias back to v1. No request fails, every prediction after
a replica's first v1 answer carries v1, and each replica's serving run records the switch."""

from __future__ import annotations

import json
import signal
import threading
import time
from typing import Any

import pytest

from tests.integration._pipeline import PipelineRun
from tests.integration._serve import MODEL, Server, copy_store, glassbox_cli, start
from tests.integration._serving_data import good, register_other_version

# e2e: two servers and a trained store (~1.5 min on its own): the default suite's serving session
# already moves the alias under load (tests/integration/test_serving.py)
pytestmark = [pytest.mark.slow, pytest.mark.e2e]
LOAD_SECONDS_AFTER = 1.0


def _load(server: Server, stop: threading.Event, seen: list[tuple[int, str | None, float]]) -> None:
    with server.client(timeout=30) as client:
        i = 0
        while not stop.is_set():
            response = client.post("/predict", json=good(i % 50))
            body = response.json()
            seen.append((response.status_code, (body.get("model") or {}).get("version"),
                         time.monotonic()))  # fmt: skip
            i += 1


@pytest.fixture(scope="module")
def rolled_back(trained: PipelineRun, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    tmp = tmp_path_factory.mktemp("rollback")
    store = copy_store(trained, tmp / "home")
    v2 = register_other_version(store)
    promoted = glassbox_cli(store, "model", "promote", "--version", v2, "--reason", "canary ok")
    assert promoted.returncode == 0, promoted.stdout + promoted.stderr
    servers = [
        start(store, tmp / f"replica-{k}", wait=False, GLASSBOX_SERVING__ALIAS_POLL_SECONDS="0.5")
        for k in range(2)
    ]
    out: dict[str, Any] = {"v2": v2, "servers": servers}
    try:
        for server in servers:
            server.wait_ready()
        seen: dict[int, list[tuple[int, str | None, float]]] = {s.port: [] for s in servers}
        stop = threading.Event()
        clients = [
            threading.Thread(target=_load, args=(s, stop, seen[s.port]))
            for s in servers
            for _ in range(2)
        ]
        for client in clients:
            client.start()
        time.sleep(1.0)  # v2 answering under load first
        out["rollback_at"] = time.monotonic()
        out["rollback"] = glassbox_cli(store, "model", "rollback", "--reason", "p99 doubled")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not all(
            any(v == "1" for _, v, _ in seen[s.port][-10:]) for s in servers
        ):
            time.sleep(0.2)
        time.sleep(LOAD_SECONDS_AFTER)
        stop.set()
        for client in clients:
            client.join(60)
        out["seen"] = seen
    finally:
        out["exits"] = [s.stop(signal.SIGTERM) for s in servers]
    client = store.client()
    out["runs"] = [
        client.get_run(r.info.run_id)
        for r in client.search_runs(
            [client.get_experiment_by_name("glassbox-car-loan-serving").experiment_id]
        )
    ]
    out["aliases"] = dict(client.get_registered_model(MODEL).aliases)
    return out


def test_the_rollback_under_load_drops_no_request(rolled_back: dict[str, Any]) -> None:
    assert rolled_back["rollback"].returncode == 0, rolled_back["rollback"].stderr
    assert "rollback champion: v2 -> v1" in rolled_back["rollback"].stdout
    for port, seen in rolled_back["seen"].items():
        codes = {code for code, _, _ in seen}
        assert codes == {200}, (port, [s for s in seen if s[0] != 200][:5])
        assert len(seen) > 20, port
    assert {str(v) for v in rolled_back["aliases"].values()} == {"1"}


def test_predictions_after_the_switch_carry_the_old_version(rolled_back: dict[str, Any]) -> None:
    v2 = rolled_back["v2"]
    for seen in rolled_back["seen"].values():
        versions = [v for _, v, _ in seen]
        first_v1 = versions.index("1")
        assert first_v1 > 0 and set(versions[:first_v1]) == {v2}
        assert set(versions[first_v1:]) == {"1"}  # never v2 again once v1 answered
        assert seen[first_v1][2] > rolled_back["rollback_at"]


def test_each_replica_records_the_switch_on_its_serving_run(rolled_back: dict[str, Any]) -> None:
    runs = rolled_back["runs"]
    assert len(runs) == 2
    assert all(code in (0, -signal.SIGTERM) for code in rolled_back["exits"])
    for run in runs:
        assert run.info.status == "FINISHED"
        event = json.loads(run.data.tags["glassbox.serving.switch.1"])
        assert (event["from_version"], event["to_version"]) == (rolled_back["v2"], "1")
        assert run.data.tags["glassbox.model.version"] == "1"


def test_the_audit_holds_every_answered_prediction(rolled_back: dict[str, Any]) -> None:
    servers = sorted(rolled_back["servers"], key=lambda s: s.port)
    runs = sorted(rolled_back["runs"], key=_port)
    for server, run in zip(servers, runs, strict=True):
        answered = sum(
            len(e.get("prediction_ids", []))
            for e in server.access_log()
            if e.get("status") == 200 and e.get("path") == "/predict"
        )
        assert answered > 20
        assert int(run.data.tags["glassbox.audit.segments.records"]) == answered


def _port(run: Any) -> int:
    return int(run.data.tags["glassbox.serving.listen"].rsplit(":", 1)[1])
