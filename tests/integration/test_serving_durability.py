"""Durability of the online audit: ``glassbox serve`` SIGKILLed under load again and again,
restarted on the same audit volume each time.

Every prediction answered 200 must be in the audit (its id and hash, exactly once), every
segment's chain must verify, the killed servers' runs must end KILLED, and ``glassbox audit
verify --row`` must find a prediction served by a killed server. The default suite kills once;
the e2e suite kills 20 times.
"""

from __future__ import annotations

import json
import random
import signal
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.integration._pipeline import PipelineRun
from tests.integration._serve import Server, copy_store, glassbox_cli, start
from tests.integration._serving_data import good

pytestmark = pytest.mark.slow
CLIENTS = 6


def _client(
    server: Server, tag: str, stop: threading.Event, answered: list[dict[str, Any]]
) -> None:
    """Send requests (1 or 3 records, unique ids) until the server dies or ``stop`` is set."""
    rng = random.Random(tag)
    with httpx.Client(base_url=server.base, timeout=30) as client:
        n = 0
        while not stop.is_set():
            size = rng.choice((1, 1, 3))
            records = [good(rng.randrange(50)) | {"id": f"{tag}-{n}-{k}"} for k in range(size)]
            n += 1
            try:
                response = client.post("/predict", json=records if size > 1 else records[0])
            except httpx.HTTPError:
                if server.proc.poll() is not None:
                    return
                continue
            if response.status_code == 200:
                body = response.json()
                for record, p in zip(records, body["predictions"], strict=True):
                    answered.append(
                        p | {"event_timestamp": body["event_timestamp"], "inputs": record}
                    )


def _kill_under_load(server: Server, cycle: int, answered: list[dict[str, Any]]) -> None:
    stop = threading.Event()
    clients = [
        threading.Thread(target=_client, args=(server, f"c{cycle}.{i}", stop, answered))
        for i in range(CLIENTS)
    ]
    before = len(answered)
    for t in clients:
        t.start()
    deadline = time.monotonic() + 60
    wait = random.uniform(0.5, 2.0)
    while time.monotonic() < deadline and (len(answered) - before < 20 or wait > 0):
        time.sleep(0.1)
        wait -= 0.1
    server.stop(signal.SIGKILL)
    stop.set()
    for t in clients:
        t.join(60)
    assert len(answered) - before >= 20, server.log()


def _run_kills(store: PipelineRun, workdir: Path, kills: int) -> dict[str, Any]:
    audit = workdir / "audit"
    answered: list[dict[str, Any]] = []
    for cycle in range(kills):
        server = start(
            store,
            workdir / f"cycle-{cycle}",
            audit_dir=audit,
            GLASSBOX_SERVING__AUDIT__SEGMENT_MAX_RECORDS="300",
        )
        _kill_under_load(server, cycle, answered)
    final = start(store, workdir / "final", audit_dir=audit)
    final.stop(signal.SIGTERM)
    return {"answered": answered, "final": final}


def _check(store: PipelineRun, result: dict[str, Any], kills: int) -> None:
    import mlflow

    from glassbox.audit import load_segment_tables, verify_chain

    answered = result["answered"]
    previous = mlflow.get_tracking_uri()
    mlflow.set_tracking_uri(store.tracking_uri)
    try:
        tables = load_segment_tables(["glassbox-car-loan-serving"])
    finally:
        mlflow.set_tracking_uri(previous)
    for label, table, manifest in tables:
        report = verify_chain(table, manifest)
        assert report.ok, f"{label}: {report.summary()}"
    recorded = Counter(pid for _, table, _ in tables for pid in table["prediction_id"])
    duplicated = [pid for pid, n in recorded.items() if n > 1]
    assert duplicated == [], f"recorded more than once: {duplicated[:5]}"
    hashes = {
        pid: h
        for _, t, _ in tables
        for pid, h in zip(t["prediction_id"], t["record_hash"], strict=True)
    }
    missing = [p["id"] for p in answered if hashes.get(p["id"]) != p["audit_hash"]]
    assert missing == [], f"{len(missing)} answered predictions not in the audit: {missing[:5]}"
    client = store.client()
    experiment = client.get_experiment_by_name("glassbox-car-loan-serving")
    runs = client.search_runs([experiment.experiment_id])
    statuses = Counter(r.info.status for r in runs)
    print(
        f"\n{kills} SIGKILLs under load: {len(answered)} predictions answered 200, all in the "
        f"audit; {len(tables)} segments, {sum(recorded.values())} records, chains intact; "
        f"runs {dict(statuses)}"
    )
    assert statuses == {"KILLED": kills, "FINISHED": 1}, statuses
    last = answered[-1]  # served by the last server killed: its segment was recovered
    row = last["inputs"] | {"timestamp": last["event_timestamp"]}
    killed = [arg for r in runs if r.info.status == "KILLED" for arg in ("--run", r.info.run_id)]
    found = glassbox_cli(store, "audit", "verify", *killed, "--row", json.dumps(row))
    assert found.returncode == 0, found.stdout + found.stderr
    assert f"prediction {last['id']!r} is recorded in" in found.stdout


def _durability(trained: PipelineRun, tmp: Path, kills: int) -> None:
    store = copy_store(trained, tmp / "home")
    result = _run_kills(store, tmp, kills)
    _check(store, result, kills)


def test_sigkill_under_load_loses_and_duplicates_nothing(
    trained: PipelineRun, tmp_path: Path
) -> None:
    _durability(trained, tmp_path, kills=1)


@pytest.mark.e2e
def test_sigkill_20_times_under_load_loses_and_duplicates_nothing(
    trained: PipelineRun, tmp_path: Path
) -> None:
    _durability(trained, tmp_path, kills=20)
