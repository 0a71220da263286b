"""``glassbox canary analyze --shadow ... --apply`` and ``glassbox model ...`` end to end on the
embedded store: a worse challenger is rejected (champion stays), a good one is promoted, both
decisions are MLflow runs with the analysis attached, alerts reach Slack, history lists them."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pytest_httpserver import HTTPServer
from typer.testing import CliRunner

from glassbox.cli import app
from glassbox.delivery._shadow import FLAT_COLUMNS

from .conftest import MODEL


def shadow_log(path: Path, challenger: str, *, errors: float, seed: int, n: int = 6500) -> Path:
    """A Parquet shadow log of champion v1 against ``challenger`` (all ids have a target)."""
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.5).astype(int)
    noise = rng.normal(0, 1, n)
    frame = pd.DataFrame({"id": [f"p{i}" for i in range(n)], "schema_version": 1, "model": MODEL})
    frame["request_id"] = frame["id"]
    frame["timestamp"] = pd.Timestamp("2026-01-05", tz="UTC") + pd.to_timedelta(
        np.arange(n), unit="s"
    )
    for side, version, rate in (("champion", "1", 0.01), ("challenger", challenger, errors)):
        proba = 1 / (1 + np.exp(-(3 * y - 1.5 + noise + rng.normal(0, 0.2, n))))
        failed = rng.random(n) < rate
        frame[f"{side}_version"] = version
        frame[f"{side}_proba"] = np.where(failed, np.nan, proba)
        frame[f"{side}_label"] = np.where(failed, np.nan, (proba >= 0.5).astype(float))
        frame[f"{side}_latency_seconds"] = rng.lognormal(np.log(0.008), 0.4, n)
        frame[f"{side}_error"] = np.where(failed, "model_error", None)
    frame.loc[:, list(FLAT_COLUMNS)].to_parquet(path)
    pd.DataFrame({"id": frame["id"], "repaid": y}).to_csv(path.with_suffix(".targets.csv"))
    return path


def _invoke(*args: str) -> Any:
    return CliRunner().invoke(app, list(args))


def _slack_texts(server: HTTPServer) -> str:
    return "\n".join(json.dumps(json.loads(r.get_data())) for r, _ in server.log)


def test_rollback_verdict_rejects_then_a_good_challenger_is_promoted(
    gated: Callable[[str], str], slack: HTTPServer, tmp_path: Path
) -> None:
    import mlflow

    gated("fp1")
    gated("fp2")
    bad = shadow_log(tmp_path / "bad.parquet", "2", errors=0.03, seed=1)
    targets = str(bad.with_suffix(".targets.csv"))
    out = str(tmp_path / "bad.json")
    result = _invoke(
        "canary", "analyze", "--shadow", str(bad), "--targets", targets, "--apply", "--out", out
    )
    assert result.exit_code == 1, result.output
    assert "challenger v2 against champion v1 (shadow): ROLLBACK" in result.output
    assert "reject challenger: v2 -> -" in result.output
    analysis = json.loads((tmp_path / "bad.json").read_text())
    assert analysis["verdict"] == "rollback"
    assert analysis["reasons"][0].startswith("error_rate: challenger significantly worse")
    client = mlflow.MlflowClient()
    aliases = {k: str(v) for k, v in client.get_registered_model(MODEL).aliases.items()}
    assert aliases == {"champion": "1"}

    gated("fp3")
    good = shadow_log(tmp_path / "good.parquet", "3", errors=0.01, seed=2)
    targets = str(good.with_suffix(".targets.csv"))
    result = _invoke("canary", "analyze", "--shadow", str(good), "--targets", targets, "--apply")
    assert result.exit_code == 0, result.output
    assert "promote champion: v1 -> v3" in result.output
    aliases = {k: str(v) for k, v in client.get_registered_model(MODEL).aliases.items()}
    assert aliases == {"champion": "3"}

    history = _invoke("model", "history", "--json")
    moves = json.loads(history.stdout)
    decided = [(m["action"], m["verdict"]) for m in moves if m["action"] != "register"]
    assert decided == [("reject", "rollback"), ("promote", "promote")]
    reject = next(m for m in moves if m["action"] == "reject")
    artifacts = {f.path for f in client.list_artifacts(reject["run_id"])}
    assert {"decision.json", "analysis.json"} <= artifacts
    analysis_run = client.get_run(reject["analysis_run_id"])
    assert analysis_run.data.tags["glassbox.canary.verdict"] == "rollback"
    assert analysis_run.data.metrics["canary.error_rate.challenger"] > 0.02
    text = _invoke("model", "history").output
    assert "reject challenger: v2 -> -" in text and "promote champion: v1 -> v3" in text
    sent = _slack_texts(slack)
    assert "challenger_rejected" in sent or "Challenger rejected" in sent
    assert "Model promoted" in sent or "model_promotion" in sent


def test_model_commands_move_aliases_and_fail_in_one_line(
    gated: Callable[[str], str], tmp_path: Path
) -> None:
    gated("fp1")
    nothing = _invoke("model", "promote", "--reason", "try")
    assert nothing.exit_code == 1
    assert nothing.output.strip() == (
        f"error: registered model '{MODEL}' has no '@challenger' version: nothing to promote "
        "(a gated version becomes challenger when a champion exists)"
    )
    unknown = _invoke("model", "history", "no-such-model")
    assert unknown.exit_code == 1
    assert unknown.output.strip() == "error: registered model 'no-such-model' does not exist"
    gated("fp2")
    assert _invoke("model", "status").output.splitlines() == [
        f"{MODEL}: @champion = v1",
        f"{MODEL}: @challenger = v2",
    ]
    promoted = _invoke("model", "promote", "--reason", "manual canary looked fine")
    assert promoted.exit_code == 0, promoted.output
    assert "promote champion: v1 -> v2" in promoted.output
    assert "alert new" in promoted.output
    back = _invoke("model", "rollback", "--reason", "p99 regression")
    assert back.exit_code == 0, back.output
    assert "rollback champion: v2 -> v1" in back.output
    again = _invoke("model", "rollback", "--reason", "again")
    assert again.exit_code == 1
    assert again.output.startswith("error: nothing to roll back to")
    bad = tmp_path / "not-analysis.json"
    bad.write_text('{"verdict": "promote"}')
    evidence = _invoke(
        "model", "promote", "--version", "2", "--reason", "x", "--analysis", str(bad)
    )
    assert evidence.exit_code == 1
    assert evidence.output.startswith(f"error: --analysis {bad}: not a canary analysis document")
