"""Rollbacks of a serving champion, for real (e2e):

- during load: two ``glassbox serve`` processes (uvicorn, as two replicas on their own audit
  volumes) follow ``@champion`` = v2 while clients keep sending requests; ``glassbox model
  rollback`` moves the alias back to v1. No request fails, every prediction after a replica's
  first v1 answer carries v1, each replica's serving run records the switch.
- by the server's own trigger rule: a server whose champion fails 30% of its model calls
  (fault injection) crosses ``error_rate >= 0.05 -> rollback``; it rolls the champion back once
  (decision run by ``glassbox-trigger``), announces it to a real Slack receiver, records it on
  its serving run, follows the alias, and does not roll back again while errors go on."""

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


@pytest.fixture(scope="module")
def triggered(trained: PipelineRun, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A real server whose champion v2 fails 30% of its model calls (fault injection), its
    trigger rules evaluated every second, alerts to a real Slack receiver on 127.0.0.1."""
    from pytest_httpserver import HTTPServer

    tmp = tmp_path_factory.mktemp("triggered")
    store = copy_store(trained, tmp / "home")
    v2 = register_other_version(store)
    promoted = glassbox_cli(store, "model", "promote", "--version", v2, "--reason", "canary ok")
    assert promoted.returncode == 0, promoted.stdout + promoted.stderr
    slack = HTTPServer(host="127.0.0.1", port=0)
    slack.expect_request("/services/T0/B0/trigger", method="POST").respond_with_data("ok")
    slack.start()
    server = start(
        store, tmp / "server",
        GLASSBOX_SERVING__FAULTS__ERROR_RATE="0.3",
        GLASSBOX_SERVING__TRIGGERS__INTERVAL_SECONDS="1",
        GLASSBOX_SERVING__SLO__MIN_REQUESTS="50",
        GLASSBOX_SERVING__DRIFT__MIN_ROWS="5000",  # no live PSI yet: the error rate decides
        GLASSBOX_SERVING__ALIAS_POLL_SECONDS="0.5",
        SLACK_WEBHOOK_URL=slack.url_for("/services/T0/B0/trigger"),
    )  # fmt: skip
    seen: list[tuple[int, str | None, float]] = []
    out: dict[str, Any] = {"v2": v2, "seen": seen, "store": store}
    stop = threading.Event()
    loader = threading.Thread(target=_load, args=(server, stop, seen))
    try:
        loader.start()
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not any(v == "1" for _, v, _ in seen[-20:]):
            time.sleep(0.3)
        time.sleep(5.0)  # errors go on under v1: the rule is cooling down, nothing else moves
        stop.set()
        loader.join(60)
        with server.client() as client:
            out["triggers"] = client.get("/triggers").json()
    finally:
        stop.set()
        out["exit"] = server.stop(signal.SIGTERM)
        slack.stop()
    out["sent"] = "\n".join(json.dumps(json.loads(r.get_data())) for r, _ in slack.log)
    client = store.client()
    (run,) = client.search_runs(
        [client.get_experiment_by_name("glassbox-car-loan-serving").experiment_id]
    )
    out["run"] = run
    out["aliases"] = {k: str(v) for k, v in client.get_registered_model(MODEL).aliases.items()}
    out["moves"] = [
        r.data.tags
        for r in client.search_runs(
            [client.get_experiment_by_name("glassbox-car-loan-delivery").experiment_id],
            "tags.`glassbox.delivery.action` = 'rollback'",
        )
    ]
    return out


def test_the_servers_error_rate_trigger_rolls_back_once_and_the_server_follows(
    triggered: dict[str, Any],
) -> None:
    (move,) = triggered["moves"]  # once: the rule cools down, the guardrail allows one a day
    assert move["glassbox.delivery.actor"] == "glassbox-trigger"
    assert (move["glassbox.delivery.from_version"], move["glassbox.delivery.to_version"]) == (
        triggered["v2"], "1",
    )  # fmt: skip
    assert "error_rate" in move["glassbox.delivery.reason"]
    assert triggered["aliases"] == {"champion": "1"}
    versions = [v for _, v, _ in triggered["seen"] if v is not None]
    first_v1 = versions.index("1")
    assert set(versions[:first_v1]) == {triggered["v2"]} and set(versions[first_v1:]) == {"1"}


def test_the_trigger_is_announced_recorded_and_listed(triggered: dict[str, Any]) -> None:
    sent = triggered["sent"]
    assert "model_rollback" in sent or "Model rolled back" in sent
    tags = triggered["run"].data.tags
    event = json.loads(tags["glassbox.serving.trigger.1"])
    assert (event["action"], event["metric"], event["model_version"]) == (
        "rollback", "error_rate", triggered["v2"],
    )  # fmt: skip
    assert event["outcome"].startswith(
        f"error_rate >= 0.05 -> rollback: rollback champion: v{triggered['v2']} -> v1"
    )
    listed = triggered["triggers"]
    assert listed["enabled"] and listed["fired"] >= 1
    assert {r["action"] for r in listed["rules"]} == {"alert", "rollback", "scale_down"}
    assert any(e["action"] == "rollback" for e in listed["recent"])
