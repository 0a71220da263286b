"""Seeded synthetic data for the monitor tests, and the real CLI run in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

GLASSBOX = Path(sys.executable).parent / "glassbox"
# The console script, as users run it; the same entry point through the interpreter while a
# reinstall of the project (by a concurrent `just setup`) has the script briefly removed.
_ENTRY = [sys.executable, "-c", "import sys; from glassbox.cli import app; sys.exit(app())"]
SEGMENTS = ["a", "b", "c"]
SHARES = [0.6, 0.3, 0.1]


def features(
    rows: int,
    seed: int,
    *,
    shift_sd: float = 0.0,
    shares: list[float] | None = None,
) -> pd.DataFrame:
    """Numeric (normal, uniform, counts) and categorical (segment, channel) features.

    ``shift_sd`` moves ``income``'s mean by that many standard deviations; ``shares`` replaces
    the category shares of ``segment``."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "income": rng.normal(50.0, 10.0, rows) + 10.0 * shift_sd,
            "age": rng.normal(40.0, 8.0, rows),
            "ratio": rng.uniform(0.0, 1.0, rows),
            "visits": rng.poisson(4.0, rows).astype(np.int64),
            "segment": rng.choice(SEGMENTS, rows, p=shares or SHARES),
            "channel": rng.choice(["web", "app", "store"], rows, p=[0.5, 0.3, 0.2]),
        }
    )


def scored(rows: int, seed: int, *, concept: bool = False) -> pd.DataFrame:
    """A model's inputs, its probability ``p`` and the label ``y`` drawn from the true model.

    With ``concept`` the label follows the opposite relationship to the same inputs: the
    inputs and the model's outputs look as before, only P(y|x) changed."""
    rng = np.random.default_rng(seed)
    x1, x2 = rng.normal(0, 1, rows), rng.normal(0, 1, rows)
    kind = rng.choice(["a", "b"], rows)
    logit = 1.5 * x1 - 1.0 * x2 + 0.5 * (kind == "a")
    proba = 1.0 / (1.0 + np.exp(-logit))
    truth = 1.0 / (1.0 + np.exp(logit if concept else -logit))
    return pd.DataFrame(
        {
            "ts": pd.date_range("2024-01-01", periods=rows, freq="min"),
            "row": np.arange(rows),
            "x1": x1,
            "x2": x2,
            "kind": kind,
            "p": proba,
            "y": (rng.random(rows) < truth).astype(np.int64),
        }
    )


def write(frame: pd.DataFrame, path: Path) -> Path:
    if path.suffix == ".parquet":
        frame.to_parquet(path, index=False)
    else:
        frame.to_csv(path, index=False)
    return path


@dataclass(frozen=True)
class Run:
    code: int
    stdout: str
    stderr: str


def glassbox_monitor(cwd: Path, *args: str | Path, timeout: float = 300) -> Run:
    """``glassbox monitor ARGS`` as a user runs it (no project settings file in ``cwd``)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GLASSBOX_", "MLFLOW_"))}
    command = [str(GLASSBOX)] if GLASSBOX.is_file() else _ENTRY
    proc = subprocess.run(
        [*command, "monitor", *map(str, args)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return Run(proc.returncode, proc.stdout, proc.stderr)
