"""A new user's own data, from a fresh clone: `glassbox init` on a CSV without id or timestamp,
then the command it printed. A learnable label → the pipeline succeeds, a row of the file is
found by `audit verify --row`, `lineage` prints the chain and the monitoring cron joins the
targets by derived ids. Labels independent of the features → the gate fails with its numbers,
exit 3, nothing crashes, nothing registered. A weaker model against that champion → the
champion comparison. Four pipeline runs: e2e (`just test-e2e`)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from tests.init._data import write_table
from tests.integration._pipeline import REPO

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

GLASSBOX = str(Path(sys.executable).parent / "glassbox")


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str


@dataclass
class Clone:
    root: Path
    home: Path

    def glassbox(self, *args: str, **env: str) -> Result:
        base = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "GLASSBOX_"))}
        proc = subprocess.run(
            [GLASSBOX, *args],
            cwd=self.root,
            env=base | {"GLASSBOX_HOME": str(self.home)} | env,
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
        return Result(proc.returncode, proc.stdout, proc.stderr)

    def client(self) -> Any:
        import mlflow

        uri = f"sqlite:///{self.home / 'mlflow.db'}"
        return mlflow.MlflowClient(tracking_uri=uri, registry_uri=uri)


def _clone(tmp: Path, name: str) -> Clone:
    root = tmp / name
    subprocess.run(["git", "clone", "--quiet", str(REPO), str(root)], check=True, timeout=300)
    return Clone(root, tmp / f"{name}-home")


def _init_and_run(clone: Clone, csv: Path, name: str) -> tuple[Result, Result, Path]:
    init = clone.glassbox("init", "--reference", str(csv), "--target", "churned", "--name", name)
    assert init.returncode == 0, init.stderr
    command = init.stdout.rstrip().splitlines()[-2].split()
    config = clone.root / f"glassbox-{name}.yaml"
    assert command == ["glassbox", "--config", config.name, "run", "training"]
    return init, clone.glassbox(*command[1:]), config


def _pipeline_run(clone: Clone, experiment: str) -> Any:
    client = clone.client()
    exp = client.get_experiment_by_name(experiment)
    runs = client.search_runs([exp.experiment_id], "tags.`glassbox.run_kind` = 'pipeline'")
    return sorted(runs, key=lambda r: r.info.start_time)


@pytest.fixture(scope="module")
def own(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    tmp = tmp_path_factory.mktemp("own")
    csv = write_table(tmp / "churn.csv", rows=8000, seed=11)
    clone = _clone(tmp, "clone")
    init, run, config = _init_and_run(clone, csv, "churn")
    return {"clone": clone, "csv": csv, "init": init, "run": run, "config": config}


def _row(csv: Path, i: int, **changes: Any) -> str:
    row = pd.read_csv(csv).drop(columns="churned").iloc[i].to_dict()
    return json.dumps({k: v.item() if hasattr(v, "item") else v for k, v in row.items()} | changes)


def test_init_then_the_printed_command_succeeds_on_data_without_id_or_timestamp(
    own: dict[str, Any],
) -> None:
    run = own["run"]
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert "pipeline training succeeded" in run.stdout
    assert "id          none: each row's id is derived from its features" in own["init"].stdout
    pipeline = _pipeline_run(own["clone"], "glassbox-churn")[0]  # the first run of the store
    tags = pipeline.data.tags
    assert tags["glassbox.status"] == "succeeded" and tags["glassbox.gate"] == "passed"
    assert tags["glassbox.data.order"].startswith("row order")
    assert tags["glassbox.data.ids"].startswith("derived")
    versions = own["clone"].client().search_model_versions("name = 'churn'")
    assert [str(v.version) for v in versions] == ["1"]


def test_audit_verify_finds_a_row_of_the_file_by_its_features_alone(own: dict[str, Any]) -> None:
    clone, config = own["clone"], own["config"].name
    score_run = own["run"].stdout.split("glassbox lineage ")[1].split()[0]
    ok = clone.glassbox("--config", config, "audit", "verify", "--row", _row(own["csv"], 4321))
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert f"is recorded in {score_run} at seq 4321, made by churn v1" in ok.stdout
    changed = clone.glassbox(
        "--config", config, "audit", "verify", "--row", _row(own["csv"], 4321, age=200)
    )
    assert changed.returncode == 1
    assert "no prediction was recorded for exactly these inputs" in changed.stdout


def test_lineage_prints_the_chain_from_predictions_to_the_users_file(own: dict[str, Any]) -> None:
    clone = own["clone"]
    score_run = own["run"].stdout.split("glassbox lineage ")[1].split()[0]
    out = clone.glassbox("--config", own["config"].name, "lineage", score_run)
    assert out.returncode == 0, out.stderr
    text = out.stdout
    for step in ("score  run", "train  run", "transform  run", "extract  run"):
        assert step in text
    assert text.startswith(f"score  run {score_run}")
    assert "name=churn, version=1" in text and "consumed source-reference" in text


def test_the_monitoring_cron_joins_the_targets_by_derived_ids_in_one_partition(
    own: dict[str, Any],
) -> None:
    clone = own["clone"]
    cron = clone.glassbox("--config", own["config"].name, "run", "monitoring")
    assert cron.returncode == 0, cron.stdout[-3000:] + cron.stderr[-3000:]
    client = clone.client()
    exp = client.get_experiment_by_name("glassbox-churn-monitoring")
    (window,) = client.search_runs([exp.experiment_id], "tags.`glassbox.step` = 'window'")
    assert window.data.metrics["window.rows"] == 8000
    assert window.data.metrics["window.targets_arrived"] == 8000
    assert window.data.metrics["window.partitions"] == 1
    assert window.data.tags["glassbox.monitor.partitioning"].startswith("one partition 'all'")


def test_a_weaker_model_fails_against_the_champion_which_keeps_scoring(
    own: dict[str, Any],
) -> None:
    clone = own["clone"]
    weak = clone.glassbox(
        "--config",
        own["config"].name,
        "run",
        "training",
        GLASSBOX_MODEL__MAX_ITER="1",
        GLASSBOX_MODEL__MAX_LEAF_NODES="2",
    )
    assert weak.returncode == 3, weak.stdout[-3000:] + weak.stderr[-3000:]
    lines = weak.stdout.splitlines()
    fails = [
        line for line in lines if line.startswith("  FAIL  roc_auc ") and "champion v1" in line
    ]
    assert fails, weak.stdout
    assert any(
        line.startswith("  champion: v1 on the same held-out rows: roc_auc 0.") for line in lines
    )
    assert "the champion (v1) stays: it scored the production batch" in lines
    versions = clone.client().search_model_versions("name = 'churn'")
    assert [str(v.version) for v in versions] == ["1"]
    second = _pipeline_run(clone, "glassbox-churn")[-1]
    assert second.data.tags["glassbox.status"] == "gate failed"


def test_labels_independent_of_the_features_fail_the_gate_with_numbers_and_nothing_crashes(
    tmp_path: Path,
) -> None:
    csv = write_table(tmp_path / "noise.csv", rows=8000, seed=12, learnable=False)
    clone = _clone(tmp_path, "clone")
    _, run, _ = _init_and_run(clone, csv, "noise")
    assert run.returncode == 3, run.stdout[-3000:] + run.stderr[-3000:]
    lines = run.stdout.splitlines()
    assert lines[0].startswith("pipeline training: gate failed in ")
    assert lines[1] == "gate failed: the candidate model was not registered"
    assert lines[2].startswith("  FAIL  roc_auc         0.") and lines[2].endswith(
        " < floor 0.8000"
    )
    assert lines[3].startswith("  FAIL  accuracy_score  0.") and lines[3].endswith(
        " < floor 0.7000"
    )
    assert "  champion: none yet (nothing to compare with; the floors decide)" in lines
    assert "skipped: score (when 'failed == passed || none != none' evaluated false)" in lines
    assert "Traceback" not in run.stderr and "Failed" not in run.stderr
    assert clone.client().search_registered_models() == []
    (pipeline,) = _pipeline_run(clone, "glassbox-noise")
    assert pipeline.info.status == "FINISHED"
    assert pipeline.data.tags["glassbox.status"] == "gate failed"
    assert "FAIL  roc_auc" in pipeline.data.tags["mlflow.note.content"]
