"""``just canary`` end to end on the embedded default (scripts/canary.py, as the recipe runs it):
v1 champion; v2 trained with a deliberately worse setting becomes challenger; ``glassbox serve``
answers with v1 and shadows v2 on replayed production traffic; ``glassbox canary analyze --apply``
on the server's shadow log says rollback with its reasons and rejects v2 (champion stays v1),
recorded as an MLflow decision run with its evidence and announced to a real Slack receiver on
127.0.0.1; a good v3 is shadowed by the same running server and promoted while requests keep
coming, none failing; ``glassbox model history`` shows both decisions."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from tests.integration._pipeline import REPO, PipelineRun, env_for

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(7200)]
SLACK_PATH = "/services/T0CANARY/B0CANARY/canarymarker"


def test_just_canary_rolls_back_a_worse_challenger_and_promotes_a_good_one(
    tmp_path: Path, httpserver: HTTPServer
) -> None:
    httpserver.expect_request(SLACK_PATH, method="POST").respond_with_data("ok")
    home = tmp_path / "home"
    done = subprocess.run(
        [sys.executable, "scripts/canary.py", "--home", str(home)],
        cwd=REPO, capture_output=True, text=True, timeout=7000, check=False,
        env=env_for(home, SLACK_WEBHOOK_URL=httpserver.url_for(SLACK_PATH)),
    )  # fmt: skip
    print(done.stdout)  # the CLI output (run with -s to keep it)
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-4000:]
    out = done.stdout

    # the worse challenger: rollback verdict with reasons, rejected, champion stays v1
    assert "challenger v2 against champion v1 (shadow): ROLLBACK" in out
    assert "reject challenger: v2 -> -" in out
    assert "champion stays v1; v2 rejected" in out
    # the good one, shadowed by the same server and promoted under load
    assert "promote champion: v1 -> v3" in out
    assert "during the promotion:" in out and ", 0 failed;" in out
    history = out[out.index("=== 9. glassbox model history") :]
    assert "reject challenger: v2 -> -" in history and "promote champion: v1 -> v3" in history

    store = PipelineRun(home, 0, "", "")
    client = store.client()
    assert dict(client.get_registered_model("car-loan-default").aliases) == {"champion": 3}
    delivery = client.get_experiment_by_name("glassbox-car-loan-delivery").experiment_id
    decisions = {
        r.data.tags["glassbox.delivery.action"]: r
        for r in client.search_runs([delivery], "tags.`glassbox.run_kind` = 'delivery_decision'")
    }
    for action in ("reject", "promote"):
        run = decisions[action]
        assert run.info.status == "FINISHED"
        artifacts = {f.path for f in client.list_artifacts(run.info.run_id)}
        assert {"decision.json", "analysis.json"} <= artifacts
    analysis = json.loads(
        Path(
            client.download_artifacts(
                decisions["reject"].info.run_id, "analysis.json", str(tmp_path)
            )
        ).read_text()
    )
    assert analysis["source"] == "shadow" and analysis["verdict"] == "rollback"
    failed = {c["name"] for c in analysis["criteria"] if c["status"] == "fail"}
    assert "roc_auc" in failed, analysis["reasons"]
    (errors,) = [c for c in analysis["criteria"] if c["name"] == "error_rate"]
    assert errors["n_champion"] == errors["n_challenger"] == 8000  # every replayed row shadowed

    # the serving run: the shadow log logged to it, the challengers it shadowed recorded
    serving = client.get_experiment_by_name("glassbox-car-loan-serving").experiment_id
    (run,) = client.search_runs([serving])
    tags = run.data.tags
    assert run.info.status == "FINISHED" and tags["glassbox.serving.shadow.logged"] == "true"
    changes = [json.loads(tags[f"glassbox.serving.shadow.change.{n}"])
               for n in range(1, int(tags["glassbox.serving.shadow.changes"]) + 1)]  # fmt: skip
    assert [c["to_version"] for c in changes][:3] == ["2", None, "3"]  # rejected, then v3
    assert [f.path for f in client.list_artifacts(run.info.run_id, "shadow")]

    # the alerts reached the receiver: the rejection and the promotion
    sent = "\n".join(json.dumps(json.loads(r.get_data())) for r, _ in httpserver.log)
    assert "challenger_rejected" in sent or "Challenger rejected" in sent
    assert "model_promotion" in sent or "Model promoted" in sent
