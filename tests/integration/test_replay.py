"""`glassbox replay` on the embedded default: a step run again at its recorded commit is
identical bit for bit; an edited stored input, a missing commit or another lock are named."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from glassbox.replay import ReplayReport
from tests.integration._pipeline import PipelineRun, glassbox, step_runs
from tests.integration._store import artifact, copy_home

pytestmark = pytest.mark.slow


def report(r: object) -> ReplayReport:
    return ReplayReport.model_validate_json(r.stdout)  # type: ignore[attr-defined]


def replay(home: PipelineRun, run_id: str, *args: str) -> PipelineRun:
    """`glassbox replay RUN_ID ...`. When the session's pipeline ran on a working tree with
    uncommitted changes (a developer's; CI's clone is clean) the replay is told to take the
    commit anyway: what these tests check is the commit's code and the stored inputs."""
    recorded = home.client().get_run(run_id)
    dirty = recorded.data.tags.get("glassbox.git.dirty") == "true"
    return glassbox(home.home, "replay", run_id, *args, *(["--allow-dirty"] if dirty else []))


def test_replaying_score_is_identical_bit_for_bit_and_recorded_as_a_linked_run(
    trained: PipelineRun, tmp_path: Path
) -> None:
    home = copy_home(trained, tmp_path / "home")
    score = step_runs(home)["score"]
    r = replay(home, score.info.run_id, "--json")
    assert r.returncode == 0, r.stdout + r.stderr
    rep = report(r)
    assert rep.verdict == "identical", rep.render()
    assert rep.code.replayed_commit == score.data.tags["mlflow.source.git.commit"]
    (step,) = rep.steps
    matched = "\n".join(step.identical)
    assert f"model fingerprint {score.data.tags['glassbox.model.fingerprint']}" in matched
    assert "output dataset predictions digest" in matched
    assert f"{int(score.data.tags['glassbox.audit.count'])} audit record hashes" in matched
    assert f"audit chain root {score.data.tags['glassbox.audit.root']}" in matched
    client = home.client()
    replayed = client.get_run(step.replay_run_id)
    assert replayed.data.tags["glassbox.replay_of"] == score.info.run_id
    experiment = client.get_experiment(replayed.info.experiment_id)
    assert experiment.name == "glassbox-car-loan-replay"  # out of the monitoring's way
    parent = client.get_run(rep.replay_pipeline_run_id)
    assert parent.data.tags["glassbox.replay.verdict"] == "identical"
    assert "Replay" in parent.data.tags["mlflow.note.content"]
    versions = client.search_model_versions("name = 'car-loan-default'")
    assert len(versions) == 1  # the replay registered nothing


def test_an_edited_raw_input_in_the_artifact_store_is_the_first_difference(
    trained: PipelineRun, tmp_path: Path
) -> None:
    home = copy_home(trained, tmp_path / "home")
    steps = step_runs(home)
    stored = artifact(home, steps["extract"].info.run_id, "raw/production.parquet")
    frame = pd.read_parquet(stored)
    frame.loc[3, "car_value"] += 1.0
    frame.to_parquet(stored, index=False)
    recorded = next(
        d.dataset.digest
        for d in steps["score"].inputs.dataset_inputs
        if d.dataset.name == "raw-production"
    )
    r = replay(home, steps["score"].info.run_id, "--json")
    assert r.returncode == 1, r.stdout + r.stderr
    first = report(r).first_difference
    assert first is not None
    assert first.what.startswith("input dataset raw-production (runs:/")
    assert first.recorded == recorded
    from mlflow.data.pandas_dataset import from_pandas

    assert first.replayed == from_pandas(frame).digest != recorded
    text = replay(home, steps["score"].info.run_id)
    print(text.stdout)  # shown with -rP: the readable report
    assert "first difference: score: input dataset raw-production" in text.stdout
    assert f"recorded {recorded}, now {first.replayed}" in text.stdout


def test_a_missing_commit_or_another_lock_stops_the_replay_unless_told_to_go_on(
    trained: PipelineRun, tmp_path: Path
) -> None:
    home = copy_home(trained, tmp_path / "home")
    client = home.client()
    transform = step_runs(home)["transform"]
    client.set_tag(transform.info.run_id, "mlflow.source.git.commit", "0" * 40)
    missing = replay(home, transform.info.run_id)
    assert missing.returncode == 2
    assert f"commit {'0' * 40} is not in the repository" in missing.stderr
    validate = step_runs(home)["validate"]
    client.set_tag(validate.info.run_id, "glassbox.lock.sha256", "f" * 64)
    other = replay(home, validate.info.run_id)
    assert other.returncode == 2
    assert f"is not the recorded {'f' * 64} (--ignore-lock replays anyway)" in other.stderr
    went_on = replay(home, validate.info.run_id, "--ignore-lock", "--json")
    assert went_on.returncode == 0, went_on.stdout + went_on.stderr
    assert "replayed anyway: --ignore-lock" in json.loads(went_on.stdout)["code"]["lock_note"]
