"""The compiled training DAG, run by the local executor with stand-in steps: which tasks run,
which are skipped (and why) when the gate passes, fails with a champion, fails without one.

The stand-ins are a `steps` package in the work directory: `python -m steps.<name>` (the
containers' command) finds it first, writes the declared output parameters and records that it
ran, so the DAG's `depends`/`when` logic is exercised exactly as compiled, in seconds."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console

from glassbox.runner import TaskStatus, WorkflowResult, run_workflow
from tests.conftest import REPO

STEPS = (
    "extract",
    "validate",
    "transform",
    "train",
    "evaluate",
    "explain",
    "register",
    "score",
    "drift",
    "finalize",
)
STAND_IN = """
import os, sys
from pathlib import Path
out = Path(os.environ["GLASSBOX_OUTPUTS_DIR"])
out.mkdir(parents=True, exist_ok=True)
values = {"gate": os.environ["FAKE_GATE"], "champion": os.environ["FAKE_CHAMPION"]}
for name in ("run_id", "reference_uri", "production_uri", "targets_uri", "contract_uri",
             "train_uri", "holdout_uri", "model_uri", "fingerprint", "gate", "champion",
             "verdict", "model_version", "predictions_uri", "audit_root", "severity"):
    (out / name).write_text(values.get(name, f"{name}-of-" + __spec__.name) + "\\n")
with open(os.environ["FAKE_LOG"], "a") as log:
    log.write(__spec__.name.rsplit(".", 1)[-1] + " " + " ".join(sys.argv[1:]) + "\\n")
with open(os.environ["FAKE_LOG"] + ".config", "a") as log:
    log.write(os.environ.get("GLASSBOX_CONFIG", "-") + "\\n")
"""


def stand_in_steps(work: Path, **special: str) -> None:
    """A `steps` package in ``work`` whose modules only write outputs and log that they ran
    (``special``: step name → code run after that)."""
    (work / "steps").mkdir(parents=True)
    (work / "steps" / "__init__.py").write_text("")
    for step in STEPS:
        (work / "steps" / f"{step}.py").write_text(STAND_IN + special.get(step, ""))


def _run(tmp_path: Path, gate: str, champion: str) -> tuple[WorkflowResult, list[str]]:
    work = tmp_path / f"{gate}-{champion}"
    stand_in_steps(work)
    log = work / "ran.log"
    result = run_workflow(
        REPO / "k8s/workflows/training.yaml",
        workdir=work,
        extra_env={"FAKE_GATE": gate, "FAKE_CHAMPION": champion, "FAKE_LOG": str(log)},
        console=Console(file=io.StringIO(), force_terminal=False, width=200),
        backoff_scale=0.001,
    )
    return result, log.read_text().splitlines()


@pytest.fixture(scope="module")
def outcomes(
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, tuple[WorkflowResult, list[str]]]:
    tmp = tmp_path_factory.mktemp("dag")
    return {
        "passed": _run(tmp, "passed", "none"),
        "failed, no champion": _run(tmp, "failed", "none"),
        "failed, champion v2": _run(tmp, "failed", "v2"),
    }


def _statuses(result: WorkflowResult) -> dict[str, TaskStatus]:
    return {name: task.status for name, task in result.tasks.items()}


def test_gate_failed_without_a_champion_skips_register_score_and_drift_with_the_reason(
    outcomes: dict[str, tuple[WorkflowResult, list[str]]],
) -> None:
    result, ran = outcomes["failed, no champion"]
    assert result.succeeded  # nothing crashed: a failed gate is an outcome, not an error
    statuses = _statuses(result)
    assert {t for t, s in statuses.items() if s is TaskStatus.SKIPPED} == {
        "register",
        "score",
        "drift",
    }
    assert result.task("register").message == "when 'failed == passed' evaluated false"
    for task in ("score", "drift"):
        assert (
            result.task(task).message == "when 'failed == passed || none != none' evaluated false"
        )
    assert [
        line.split()[0] for line in ran if line.split()[0] in ("register", "score", "drift")
    ] == []
    assert ran[-1].startswith("finalize --status Succeeded")


def test_gate_failed_with_a_champion_still_scores_with_it_and_registers_nothing(
    outcomes: dict[str, tuple[WorkflowResult, list[str]]],
) -> None:
    result, ran = outcomes["failed, champion v2"]
    statuses = _statuses(result)
    assert statuses["register"] is TaskStatus.SKIPPED
    assert statuses["score"] is statuses["drift"] is TaskStatus.SUCCEEDED
    assert "register" not in [line.split()[0] for line in ran]


def test_gate_passed_runs_every_task(
    outcomes: dict[str, tuple[WorkflowResult, list[str]]],
) -> None:
    result, ran = outcomes["passed"]
    assert set(_statuses(result).values()) == {TaskStatus.SUCCEEDED}
    assert sorted(line.split()[0] for line in ran) == sorted(STEPS)
