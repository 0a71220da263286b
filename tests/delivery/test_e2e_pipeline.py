"""End to end on the embedded default, without the server (its shadow mode is to come): v1 from
the training pipeline is champion; v2, trained with a deliberately worse setting and let
through a loosened gate, becomes challenger; production traffic replayed through both
registered models (as shadow mode will) gives a shadow log; `glassbox canary analyze --apply`
says rollback with its reasons and rejects v2, champion stays v1; a good v3 is promoted;
`glassbox model history` shows both decisions."""

from __future__ import annotations

import json
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.integration._pipeline import GLASSBOX, REPO, PipelineRun, env_for, glassbox

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(7200)]
MODEL = "car-loan-default"
ROWS = 8000


def _aliases(run: PipelineRun) -> dict[str, str]:
    model = run.client().get_registered_model(MODEL)
    return {k: str(v) for k, v in model.aliases.items()}


def replay(home: Path, versions: tuple[str, str], out: Path) -> Path:
    """Score production rows with both registered versions and write the shadow log."""
    import mlflow
    import numpy as np

    from glassbox import features as gf
    from glassbox import model as gm
    from glassbox import registry
    from glassbox.config import load_settings
    from glassbox.data import read_source
    from glassbox.delivery import ShadowRecord, SideOutcome, write_shadow_log

    uri = f"sqlite:///{home / 'mlflow.db'}"
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    data = load_settings(REPO / "mlruns_config" / "glassbox.yaml", environ={}).data
    batch = gf.prepare(read_source(data.production, "production")[0], data).tail(ROWS)
    features = gm.features_frame(batch, data)
    scored = {}
    for version in versions:
        model = registry.load(f"models:/{MODEL}/{version}")
        started = time.perf_counter()
        proba = model.predict_proba(features)[:, 1]
        scored[version] = (proba, (time.perf_counter() - started) / len(features))
    (a, la), (b, lb) = scored[versions[0]], scored[versions[1]]
    ids = batch[data.id_column].astype(str).to_numpy()
    records = [
        ShadowRecord(
            request_id=f"replay-{i}",
            id=ids[i],
            timestamp=datetime.now(UTC),
            model=MODEL,
            champion=SideOutcome(
                version=versions[0], proba=float(a[i]), label=int(a[i] >= 0.5), latency_seconds=la
            ),
            challenger=SideOutcome(
                version=versions[1], proba=float(b[i]), label=int(b[i] >= 0.5), latency_seconds=lb
            ),
        )
        for i in range(len(ids))
    ]
    assert np.isfinite(a).all() and np.isfinite(b).all()
    return write_shadow_log(records, out)


def analyze(home: Path, log: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [GLASSBOX, "canary", "analyze", "--shadow", str(log), "--apply", "--out",
         str(log.with_suffix(".analysis.json"))],
        cwd=REPO, env=env_for(home), capture_output=True, text=True, timeout=900, check=False,
    )  # fmt: skip


def test_worse_challenger_rolled_back_good_one_promoted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    monkeypatch.setenv("GLASSBOX_HOME", str(home))
    first = glassbox(home, "run", "training", "-p", "seed=42", timeout=3600)
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    assert _aliases(first) == {"champion": "1"}

    # v2: a deliberately worse model (8 boosting iterations instead of 120), let through by a
    # loosened gate, as a careless retraining would be.
    worse = glassbox(
        home, "run", "training", "-p", "seed=42", timeout=3600,
        GLASSBOX_MODEL__MAX_ITER="8", GLASSBOX_GATE__CHAMPION_TOLERANCE="0.2",
    )  # fmt: skip
    assert worse.returncode == 0, worse.stdout[-3000:] + worse.stderr[-3000:]
    assert _aliases(worse) == {"champion": "1", "challenger": "2"}

    bad = analyze(home, replay(home, ("1", "2"), tmp_path / "shadow-v2.jsonl"))
    assert bad.returncode == 1, bad.stdout + bad.stderr
    print(bad.stdout)
    assert "challenger v2 against champion v1 (shadow): ROLLBACK" in bad.stdout
    assert "reject challenger: v2 -> -" in bad.stdout
    verdict = json.loads((tmp_path / "shadow-v2.analysis.json").read_text())
    failed = {c["name"] for c in verdict["criteria"] if c["status"] == "fail"}
    assert "roc_auc" in failed, verdict["reasons"]
    assert _aliases(first) == {"champion": "1"}

    good = glassbox(home, "run", "training", "-p", "seed=7", timeout=3600)
    assert good.returncode == 0, good.stdout[-3000:] + good.stderr[-3000:]
    assert _aliases(good) == {"champion": "1", "challenger": "3"}
    promoted = analyze(home, replay(home, ("1", "3"), tmp_path / "shadow-v3.jsonl"))
    print(promoted.stdout)
    assert promoted.returncode == 0, promoted.stdout + promoted.stderr
    assert "promote champion: v1 -> v3" in promoted.stdout
    assert _aliases(good) == {"champion": "3"}

    history = subprocess.run(
        [GLASSBOX, "model", "history"], cwd=REPO, env=env_for(home), capture_output=True,
        text=True, timeout=300, check=False,
    )  # fmt: skip
    print(history.stdout)
    assert "reject challenger: v2 -> -" in history.stdout
    assert "promote champion: v1 -> v3" in history.stdout
    client = good.client()
    moves = [
        r for r in client.search_runs(
            [client.get_experiment_by_name("glassbox-car-loan-delivery").experiment_id],
            "tags.`glassbox.run_kind` = 'delivery_decision'",
        )
        if r.data.tags["glassbox.delivery.action"] in ("reject", "promote")
    ]  # fmt: skip
    for run in moves:
        artifacts = {f.path for f in client.list_artifacts(run.info.run_id)}
        assert {"decision.json", "analysis.json"} <= artifacts
    outbox = home / "alerts" / "alerts.sqlite3"
    assert outbox.is_file()  # the alerts went through the durable outbox (desktop locally)
