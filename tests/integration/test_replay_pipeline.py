"""Replays of a whole training pipeline run (minutes each: e2e). In a clone of the repository
(so the record's commit is clean and a code change can be committed): train, score and the
whole pipeline replay identical; after a code change at HEAD the recorded commit still replays
identical and `--at HEAD` shows what the change does."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from glassbox.replay import ReplayReport
from tests.integration._pipeline import GLASSBOX, REPO, PipelineRun, env_for, step_runs

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def git(clone: Path, *args: str) -> str:
    out = subprocess.run(
        ["git", *args], cwd=clone, capture_output=True, text=True, timeout=120, check=True
    )
    return out.stdout.strip()


def run(clone: Path, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [GLASSBOX, *args], cwd=clone, env=env_for(home), capture_output=True, text=True,
        timeout=3600, check=False,
    )  # fmt: skip


def replay(clone: Path, home: Path, *args: str) -> tuple[int, ReplayReport]:
    r = run(clone, home, "replay", *args, "--json")
    assert r.returncode in (0, 1), r.stdout + r.stderr
    report = ReplayReport.model_validate_json(r.stdout)
    print(f"$ glassbox replay {' '.join(args)}   (exit {r.returncode})\n{report.render()}\n")
    return r.returncode, report


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, PipelineRun]:
    """A clone of HEAD with the training pipeline run in it (seed 42)."""
    clone = tmp_path_factory.mktemp("clone") / "repo"
    subprocess.run(["git", "clone", "--quiet", str(REPO), str(clone)], check=True, timeout=300)
    home = tmp_path_factory.mktemp("home")
    r = run(clone, home, "run", "training", "-p", "seed=42")
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    return clone, PipelineRun(home, r.returncode, r.stdout, r.stderr)


def test_train_and_score_replay_identical(recorded: tuple[Path, PipelineRun]) -> None:
    clone, pipeline = recorded
    steps = step_runs(pipeline)
    for step in ("train", "score"):
        code, rep = replay(clone, pipeline.home, steps[step].info.run_id)
        assert code == 0 and rep.verdict == "identical", rep.render()
    assert any("model fingerprint" in i for i in rep.steps[0].identical)


@pytest.mark.timeout(3600)  # three whole-pipeline replays: over the 900 s default on a busy machine
def test_the_whole_pipeline_replays_identical_then_a_code_change_shows_only_with_at_head(
    recorded: tuple[Path, PipelineRun],
) -> None:
    clone, pipeline = recorded
    steps = step_runs(pipeline)
    parent = steps["train"].data.tags["mlflow.parentRunId"]
    code, rep = replay(clone, pipeline.home, "--pipeline", parent)
    assert code == 0 and rep.verdict == "identical", rep.render()
    order = [s.step for s in rep.steps]
    assert sorted(order) == sorted(steps)  # every recorded step, in the order they ran
    assert order[:4] == ["extract", "validate", "transform", "train"]
    assert order[-2:] == ["score", "drift"]
    assert all(s.status == "FINISHED" for s in rep.steps)
    config = clone / "mlruns_config" / "glassbox.yaml"
    config.write_text(config.read_text().replace("learning_rate: 0.1", "learning_rate: 0.12"))
    git(clone, "commit", "--quiet", "-am", "model: a higher learning rate")
    code, again = replay(clone, pipeline.home, "--pipeline", parent)
    assert code == 0 and again.verdict == "identical", again.render()
    assert again.code.replayed_commit == again.code.recorded_commit
    code, changed = replay(clone, pipeline.home, "--pipeline", parent, "--at", "HEAD")
    assert code == 1, changed.render()
    assert changed.code.replayed_commit == git(clone, "rev-parse", "HEAD")
    first = changed.first_difference
    assert first is not None and first.step == "train", changed.render()
    assert first.what == "model fingerprint", first.describe()
