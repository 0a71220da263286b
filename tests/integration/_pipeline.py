"""Run the real `glassbox run training` command in a subprocess against a throwaway store."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
GLASSBOX = str(Path(sys.executable).parent / "glassbox")


@dataclass
class PipelineRun:
    home: Path
    returncode: int
    stdout: str
    stderr: str

    @property
    def tracking_uri(self) -> str:
        return f"sqlite:///{self.home / 'mlflow.db'}"

    def client(self) -> Any:
        import mlflow

        return mlflow.MlflowClient(tracking_uri=self.tracking_uri, registry_uri=self.tracking_uri)


def env_for(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "GLASSBOX_"))}
    env |= {"GLASSBOX_HOME": str(home), "PYTHONHASHSEED": "0"} | extra
    return env


def glassbox(
    home: Path, *args: str, offline: bool = False, timeout: int = 900, **env: str
) -> PipelineRun:
    cmd = [GLASSBOX, *args]
    if offline and shutil.which("unshare"):
        cmd = ["unshare", "-rn", *cmd]  # a fresh network namespace: no network at all
    proc = subprocess.run(
        cmd,
        cwd=REPO,
        env=env_for(home, **env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return PipelineRun(home, proc.returncode, proc.stdout, proc.stderr)


def step_runs(run: PipelineRun) -> dict[str, Any]:
    """step name → MLflow Run of the (single) pipeline in this store."""
    client = run.client()
    exp = client.get_experiment_by_name("glassbox-car-loan")
    runs = client.search_runs([exp.experiment_id], "tags.`glassbox.run_kind` = 'step'")
    return {r.data.tags["glassbox.step"]: r for r in runs}
