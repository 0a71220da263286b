"""The monitoring cron's delivery-triggers step: a window whose drift crosses the rules alerts
and rolls a recently promoted champion back (guardrails), as a real step process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from pytest_httpserver import HTTPServer

from glassbox import delivery
from glassbox.config import settings
from glassbox.delivery import trigger_names
from tests.conftest import REPO

from .conftest import MODEL


def test_drift_statistics_are_named_for_the_rules() -> None:
    assert trigger_names(
        {"drift.car_value.psi": 0.3, "drift.y_pred_proba.js_distance": 0.1,
         "realized.roc_auc": 0.9, "system/cpu": 3.0, "drift.n_flagged": 1.0,
         "drift.x.psi": float("nan")}
    ) == {"psi.car_value": 0.3, "js_distance.y_pred_proba": 0.1, "realized.roc_auc": 0.9,
          "drift.n_flagged": 1.0}  # fmt: skip


def _window_run(uid: str, step: str, metrics: dict[str, float]) -> None:
    import mlflow

    from glassbox.tracking import ensure_experiment

    client = mlflow.MlflowClient()
    experiment = ensure_experiment(settings().tracking.monitoring_experiment)
    run = client.create_run(
        experiment, tags={"glassbox.workflow_uid": uid, "glassbox.step_key": step}
    )
    for name, value in metrics.items():
        client.log_metric(run.info.run_id, name, value)
    client.set_terminated(run.info.run_id, "FINISHED")


def _step(
    home: Path, uid: str, slack: HTTPServer, tmp_path: Path
) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "GLASSBOX_HOME": str(home),
        "GLASSBOX_WORKFLOW_UID": uid,
        "GLASSBOX_WORKFLOW_NAME": uid,
        "GLASSBOX_EXECUTOR": "local",
        "GLASSBOX_PIPELINE": "monitoring",
        "GLASSBOX_OUTPUTS_DIR": str(tmp_path / "outputs"),
        "SLACK_WEBHOOK_URL": os.environ["SLACK_WEBHOOK_URL"],
    }
    env.pop("MLFLOW_TRACKING_URI", None)
    return subprocess.run(
        [sys.executable, "-m", "steps.delivery_triggers", "--seed", "1"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip


def test_a_drifting_window_alerts_and_rolls_back_a_new_champion(
    gated: Callable[[str], str], store: str, slack: HTTPServer, tmp_path: Path
) -> None:
    import mlflow

    conf = settings()
    life = delivery.Lifecycle.from_settings(conf.delivery, MODEL, conf.tracking.champion_alias)
    gated("fp1")
    gated("fp2")
    delivery.promote(life, "canary passed")
    home = Path(os.environ["GLASSBOX_HOME"])
    _window_run("wf-1", "drift", {"drift.car_value.psi": 0.62, "drift.loan_length.psi": 0.02})
    _window_run("wf-1", "performance", {"realized.roc_auc": 0.95})
    done = _step(home, "wf-1", slack, tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "psi.* >= 0.25 -> alert: alert new" in done.stdout
    assert "psi.* >= 0.5 -> rollback: rollback champion: v2 -> v1" in done.stdout
    aliases = mlflow.MlflowClient().get_registered_model(MODEL).aliases
    assert str(aliases["champion"]) == "1"
    assert (home / "delivery" / "triggers.sqlite3").is_file()

    # The next window drifts as much: the rules are cooling down, nothing moves again.
    _window_run("wf-2", "drift", {"drift.car_value.psi": 0.7})
    again = _step(home, "wf-2", slack, tmp_path)
    assert again.returncode == 0, again.stderr[-3000:]
    assert "not fired" in again.stdout and "cooling down until" in again.stdout
    runs = mlflow.MlflowClient().search_runs(
        [
            mlflow.MlflowClient()
            .get_experiment_by_name(conf.tracking.monitoring_experiment)
            .experiment_id
        ],
        "tags.`glassbox.step` = 'delivery-triggers'",
    )
    assert {r.data.metrics["triggers.fired"] for r in runs} == {2.0, 0.0}
    sent = "\n".join(json.dumps(json.loads(r.get_data())) for r, _ in slack.log)
    assert "Model rolled back" in sent or "model_rollback" in sent
