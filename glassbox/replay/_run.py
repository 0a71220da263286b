"""Run recorded steps again: the recorded arguments, seeds and registry state, in a fresh
workflow identity and a separate experiment, with the code of a git worktree."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from glassbox.errors import GlassboxError

STEP_TIMEOUT_SECONDS = 3600
REPLAY_OF_TAG = "glassbox.replay_of"
_IDENTITY_ENV = (
    "GLASSBOX_WORKFLOW_UID", "GLASSBOX_WORKFLOW_NAME", "GLASSBOX_RETRY", "GLASSBOX_EXECUTOR",
    "GLASSBOX_OUTPUTS_DIR", "GLASSBOX_PIPELINE", "POD_NAME", "GLASSBOX_CONFIG",
    "GLASSBOX_REPLAY_CHAMPION", "GLASSBOX_REPLAY_REGISTER",
)  # fmt: skip


@dataclass
class Session:
    """One replay: its workflow identity, experiment, code and the ids it has mapped so far."""

    code: Path
    experiment: str
    workflow_name: str
    uid: str = field(default_factory=lambda: f"replay-{uuid.uuid4()}")
    mapping: dict[str, str] = field(default_factory=dict)  # recorded id/URI -> replayed one


def argv_of(run: Any) -> list[str]:
    from glassbox.tracking._context import ARGV_TAG

    text = run.data.tags.get(ARGV_TAG)
    if text is None:
        raise GlassboxError(
            f"run {run.info.run_id} has no recorded arguments (tag {ARGV_TAG}): it was recorded "
            "before replay support and cannot be replayed"
        )
    args = json.loads(text)
    return [str(a) for a in args]


def _rewrite(args: list[str], mapping: dict[str, str]) -> list[str]:
    out = []
    for arg in args:
        text = arg
        for old, new in mapping.items():
            text = text.replace(old, new)
        out.append(text)
    return out


def pins(run: Any) -> dict[str, str]:
    """Registry state the step saw when it ran (see glassbox.registry)."""
    from glassbox.registry import (
        CHAMPION_TAG,
        PIN_CHAMPION_ENV,
        PIN_REGISTER_ENV,
        REGISTERED_TAG,
    )

    tags, out = run.data.tags, {}
    if CHAMPION_TAG in tags:
        out[PIN_CHAMPION_ENV] = tags[CHAMPION_TAG]
    if REGISTERED_TAG in tags:
        out[PIN_REGISTER_ENV] = tags[REGISTERED_TAG]
    return out


def _environment(session: Session, run: Any, outputs: Path) -> dict[str, str]:
    from glassbox.tracking import glassbox_home, tracking_uri

    env = {k: v for k, v in os.environ.items() if k not in _IDENTITY_ENV}
    python_path = [str(session.code), env.get("PYTHONPATH", "")]
    env |= {
        "PYTHONPATH": os.pathsep.join(p for p in python_path if p),
        "MLFLOW_TRACKING_URI": tracking_uri(),
        "GLASSBOX_HOME": str(glassbox_home()),
        "GLASSBOX_EXECUTOR": "local",
        "GLASSBOX_WORKFLOW_UID": session.uid,
        "GLASSBOX_WORKFLOW_NAME": session.workflow_name,
        "GLASSBOX_RETRY": "0",
        "GLASSBOX_OUTPUTS_DIR": str(outputs),
        "GLASSBOX_PIPELINE": run.data.tags.get("glassbox.pipeline", "training"),
        "GLASSBOX_TRACKING__EXPERIMENT": session.experiment,
        # a replay is a check, not new lineage: it stays out of OpenLineage consumers
        "OPENLINEAGE_DISABLED": "true",
        "MLFLOW_DISABLE_TELEMETRY": "true",
        "DO_NOT_TRACK": "true",
        "NML_DISABLE_USAGE_LOGGING": "1",
    }
    hash_seed = run.data.params.get("seed.PYTHONHASHSEED")
    if hash_seed and hash_seed != "unset":
        env["PYTHONHASHSEED"] = hash_seed
    return env | pins(run)


def _find_replay_run(client: Any, session: Session, step_key: str) -> Any | None:
    exp = client.get_experiment_by_name(session.experiment)
    if exp is None:
        return None
    found = client.search_runs(
        [exp.experiment_id],
        filter_string=(
            f"tags.`glassbox.workflow_uid` = '{session.uid}' and "
            f"tags.`glassbox.step_key` = '{step_key}' and tags.`glassbox.run_kind` = 'step'"
        ),
        max_results=1,
    )
    return found[0] if found else None


def run_step(session: Session, run: Any) -> tuple[Any | None, str]:
    """Run one recorded step again; returns (the replay's MLflow run or None, its log tail)."""
    import mlflow

    step = run.data.tags.get("glassbox.step", "")
    args = _rewrite(argv_of(run), session.mapping)
    with tempfile.TemporaryDirectory(prefix="glassbox-replay-") as tmp:
        env = _environment(session, run, Path(tmp))
        proc = subprocess.run(
            [sys.executable, "-m", f"steps.{step}", *args],
            cwd=session.code, env=env, capture_output=True, text=True,
            timeout=STEP_TIMEOUT_SECONDS, check=False,
        )  # fmt: skip
    log = (proc.stdout + proc.stderr)[-3000:]
    client = mlflow.MlflowClient()
    replay = _find_replay_run(client, session, run.data.tags.get("glassbox.step_key", step))
    if replay is None:
        return None, log
    client.set_tag(replay.info.run_id, REPLAY_OF_TAG, run.info.run_id)
    _map(session, run, client.get_run(replay.info.run_id))
    return client.get_run(replay.info.run_id), log


def _map(session: Session, original: Any, replay: Any) -> None:
    """Later steps read what this one produced: its run id and the URIs it recorded."""
    session.mapping[original.info.run_id] = replay.info.run_id
    for key, value in original.data.tags.items():
        if key.endswith(".uri") and key in replay.data.tags and replay.data.tags[key] != value:
            session.mapping[value] = replay.data.tags[key]
