"""The embedded default: run a compiled pipeline on this machine against the local MLflow store.

``run_pipeline("training")`` loads ``k8s/workflows/training.yaml`` — the very YAML ``argo
submit`` gets — and hands its Workflow to the local executor, with the environment a cluster's
ConfigMap would provide: the embedded tracking URI, the executor name and GLASSBOX_HOME.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from glassbox.errors import GlassboxError


def local_env() -> dict[str, str]:
    """What the ``glassbox-env`` ConfigMap carries on a cluster, for this machine."""
    from glassbox.tracking import glassbox_home, tracking_uri

    home = glassbox_home()
    home.mkdir(parents=True, exist_ok=True)
    return {
        "GLASSBOX_EXECUTOR": "local",
        "GLASSBOX_HOME": str(home),
        "MLFLOW_TRACKING_URI": tracking_uri(),
        "GLASSBOX_INSTANCE_TYPE": os.environ.get("GLASSBOX_INSTANCE_TYPE", "local"),
    }


def run_pipeline(
    pipeline: str,
    parameters: dict[str, str] | None = None,
    manifests_dir: Path = Path("k8s/workflows"),
    workers: int = 2,
) -> str:
    """Run one compiled pipeline to completion; return a summary saying where the record is.

    Raises ``GlassboxError`` naming the failed task and its log when the workflow fails."""
    from glassbox.runner import WorkflowFailed, load_manifests, run_workflow
    from glassbox.tracking import glassbox_home

    path = manifests_dir / f"{pipeline}.yaml"
    if not path.is_file():
        raise GlassboxError(f"{path}: no compiled manifest for pipeline '{pipeline}'")
    env = local_env()
    started = time.monotonic()
    try:
        result = run_workflow(
            load_manifests([path]),
            parameters=parameters or {},
            run_dir=None,
            extra_env=env,
            workdir=Path.cwd(),
            max_workers=workers,
            resource_handler=_resource_handler(manifests_dir),
        )
    except WorkflowFailed as exc:
        raise GlassboxError(str(exc)) from None
    seconds = time.monotonic() - started
    store = env["MLFLOW_TRACKING_URI"]
    done = sum(1 for t in result.tasks.values() if t.status.value == "Succeeded")
    return (
        f"pipeline {pipeline} succeeded in {seconds:.1f} s "
        f"({done} tasks; workflow {result.name}, uid {result.uid})\n"
        f"MLflow record: {store}\n"
        f"artifacts:     {glassbox_home() / 'artifacts'}\n"
        f"task logs:     {result.run_dir}/logs\n"
        f"open it with:  just ui   (or: glassbox ui)"
    )


def _resource_handler(manifests_dir: Path):  # type: ignore[no-untyped-def]
    """Argo ``resource`` templates (the cron's retraining trigger) run locally here."""
    return None
