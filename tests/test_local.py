"""`glassbox run` on this machine: the global --config reaches every step, and a failed gate is
an outcome with its own exit code (3) and the verdict on the console."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.init._data import own_table
from tests.pipelines.test_training import stand_in_steps

GLASSBOX = str(Path(sys.executable).parent / "glassbox")
# The stand-in evaluate writes a real gate report as its `verdict`, as steps.evaluate does.
EVALUATE = """
from glassbox.config import settings
from glassbox.evaluation import gate
from glassbox.verdict import GateReport
candidate = {"roc_auc": 0.5012, "accuracy_score": 0.4987}
conf = settings().gate
report = GateReport.build(gate(candidate, None, conf), candidate, None, None, conf)
(out / "verdict").write_text(report.to_line() + "\\n")
"""


def test_run_with_config_exits_3_printing_the_verdict_and_every_step_saw_the_config(
    tmp_path: Path,
) -> None:
    work = tmp_path / "work"
    stand_in_steps(work, evaluate=EVALUATE)
    (work / "own.csv").write_text(own_table(300).to_csv(index=False))
    config = work / "own.yaml"
    init = subprocess.run(
        [GLASSBOX, "init", "--reference", "own.csv", "--target", "churned", "--out", "own.yaml"],
        cwd=work,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert init.returncode == 0, init.stderr
    command = init.stdout.rstrip().splitlines()[-2].split()
    assert command == ["glassbox", "--config", "own.yaml", "run", "training"]
    env = {
        "GLASSBOX_HOME": str(tmp_path / "home"),
        "FAKE_GATE": "failed",
        "FAKE_CHAMPION": "none",
        "FAKE_LOG": str(work / "ran.log"),
        "PATH": str(Path(sys.executable).parent),
    }
    r = subprocess.run(
        [GLASSBOX, *command[1:], "--manifests", str(REPO / "k8s/workflows")],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert r.returncode == 3, r.stdout + r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].startswith("pipeline training: gate failed in ")
    assert lines[1:6] == [
        "gate failed: the candidate model was not registered",
        "  FAIL  roc_auc         0.5012 < floor 0.8000",
        "  FAIL  accuracy_score  0.4987 < floor 0.7000",
        "  champion: none yet (nothing to compare with; the floors decide)",
        "no champion yet: the steps that need one were skipped",
    ]
    assert "skipped: score (when 'failed == passed || none != none' evaluated false)" in lines
    assert "Traceback" not in r.stderr
    seen = set((work / "ran.log.config").read_text().splitlines())
    assert seen == {str(config.resolve())}


def test_config_option_names_a_missing_file_in_one_line(tmp_path: Path) -> None:
    r = subprocess.run(
        [GLASSBOX, "--config", str(tmp_path / "nope.yaml"), "config"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert r.returncode == 1
    assert r.stderr.strip() == f"error: --config {tmp_path / 'nope.yaml'}: file not found"


def test_config_option_and_the_environment_variable_select_the_same_settings(
    tmp_path: Path,
) -> None:
    own = tmp_path / "own.yaml"
    own.write_text("tracking:\n  registered_model: mine\ndata:\n  id_column: null\n")
    by_option = subprocess.run(
        [GLASSBOX, "--config", str(own), "config"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    by_env = subprocess.run(
        [GLASSBOX, "config"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        env={"GLASSBOX_CONFIG": str(own), "PATH": str(Path(sys.executable).parent)},
    )
    assert by_option.returncode == by_env.returncode == 0, by_option.stderr + by_env.stderr
    assert by_option.stdout == by_env.stdout
    assert '"registered_model": "mine"' in by_option.stdout
    assert '"id_column": null' in by_option.stdout


@pytest.mark.parametrize("bad", ["data:\n  holdout_fraction: 2\n", "- a list\n"])
def test_config_option_rejects_an_invalid_file_before_running_anything(
    tmp_path: Path, bad: str
) -> None:
    own = tmp_path / "bad.yaml"
    own.write_text(bad)
    r = subprocess.run(
        [GLASSBOX, "--config", str(own), "run", "training"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert r.returncode == 1
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {own}")
