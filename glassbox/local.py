"""The embedded default: run a compiled pipeline on this machine against the local MLflow store.

``run_pipeline("training")`` loads ``k8s/workflows/training.yaml`` — the very YAML ``argo
submit`` gets — and hands its Workflow to the local executor, with the environment a cluster's
ConfigMap would provide: the embedded tracking URI, the executor name and GLASSBOX_HOME.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from glassbox.errors import GlassboxError

if TYPE_CHECKING:
    from glassbox.runner import ResourceHandler, WorkflowResult


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
        # The alert outbox and dedupe state persist across cron runs (a PVC on a cluster).
        "GLASSBOX_ALERTS__STATE_DIR": str(home / "alerts"),
    }


def run_pipeline(
    pipeline: str,
    parameters: dict[str, str] | None = None,
    manifests_dir: Path = Path("k8s/workflows"),
    workers: int = 2,
) -> str:
    """Run one compiled pipeline to completion; return a summary saying where the record is.

    Raises ``GlassboxError`` naming the failed task and its log when the workflow fails, and
    ``GateFailedError`` with the gate's verdict when the workflow ran but the candidate failed the
    gate."""
    from glassbox.runner import WorkflowFailed, load_manifests, run_workflow
    from glassbox.tracking import glassbox_home

    path = manifests_dir / f"{pipeline}.yaml"
    if not path.is_file():
        raise GlassboxError(f"{path}: no compiled manifest for pipeline '{pipeline}'")
    env = local_env()
    _check_tracking_access(pipeline, env["MLFLOW_TRACKING_URI"])
    started = time.monotonic()
    _stop_on_sigterm()
    try:
        result = run_workflow(
            load_manifests([path]),
            parameters=parameters or {},
            runs_root=glassbox_home() / "runs",
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
    where = (
        f"MLflow record: {store}\n"
        f"artifacts:     {glassbox_home() / 'artifacts'}\n"
        f"task logs:     {result.run_dir}/logs\n"
        f"open it with:  just ui   (or: glassbox ui)"
    )
    identity = f"({done} tasks; workflow {result.name}, uid {result.uid})"
    verdict = _failed_gate(result)
    if verdict is not None:
        raise GateFailedError(
            f"pipeline {pipeline}: gate failed in {seconds:.1f} s {identity}\n"
            + "\n".join([*verdict, where])
        )
    score = result.tasks.get("score")
    if score is not None and score.outputs.get("run_id"):
        where += f"\nlineage:       glassbox lineage {score.outputs['run_id']}"
    return f"pipeline {pipeline} succeeded in {seconds:.1f} s {identity}\n{where}"


class GateFailedError(GlassboxError):
    """The workflow ran to its end but the candidate model failed the promotion gate: nothing
    was registered (``glassbox run`` exits with :data:`EXIT_GATE_FAILED`)."""


EXIT_GATE_FAILED = 3


def _failed_gate(result: WorkflowResult) -> list[str] | None:
    """The verdict lines and the skipped tasks when the run's evaluate task failed the gate."""
    evaluate = result.tasks.get("evaluate")
    if evaluate is None or evaluate.outputs.get("gate") != "failed":
        return None
    from glassbox.verdict import GateReport

    verdict = evaluate.outputs.get("verdict", "")
    lines = GateReport.parse(verdict, f"task evaluate's verdict ({evaluate.name})").lines()
    champion = evaluate.outputs.get("champion", "none")
    lines.append(
        "no champion yet: the steps that need one were skipped"
        if champion == "none"
        else f"the champion ({champion}) stays: it scored the production batch"
    )
    lines += [
        f"skipped: {t.name} ({t.message})"
        for t in result.tasks.values()
        if t.status.value == "Skipped"
    ]
    return lines


def _check_tracking_access(pipeline: str, uri: str) -> None:
    """A tracking server that refuses the credentials, or lets this user only read, stops the
    run here with one line instead of failing (and retrying) its first step."""
    from glassbox.config import settings
    from glassbox.tracking import check_write_access

    conf = settings().tracking
    if pipeline == "monitoring":
        check_write_access(uri, conf.monitoring_experiment)
    else:
        check_write_access(uri, conf.experiment, conf.registered_model)


def _stop_on_sigterm() -> None:
    """``kill`` (SIGTERM) stops the run like Ctrl-C: the executor then stops every step."""
    import signal
    import threading

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, interrupt)


def _resource_handler(manifests_dir: Path) -> ResourceHandler:
    """Argo ``resource`` templates, locally: ``create`` of a Workflow that references one of the
    compiled WorkflowTemplates (the cron's retraining trigger) runs that workflow to completion
    with the same executor, as the Argo controller would start it."""
    from glassbox.runner import RunnerError, manifests_from_documents, run_workflow

    def handle(template: Mapping[str, Any], params: Mapping[str, str]) -> dict[str, str]:
        import yaml

        resource = template.get("resource") or {}
        name = template.get("name")
        if resource.get("action") != "create":
            raise RunnerError(f"resource template {name!r}: only action 'create' runs locally")
        doc = yaml.safe_load(str(resource.get("manifest", "")))
        if not isinstance(doc, dict) or doc.get("kind") != "Workflow":
            raise RunnerError(f"resource template {name!r}: manifest is not a Workflow")
        templates = [
            d
            for path in sorted(manifests_dir.glob("*.yaml"))
            for d in yaml.safe_load_all(path.read_text())
            if isinstance(d, dict) and d.get("kind") == "WorkflowTemplate"
        ]
        from glassbox.tracking import glassbox_home

        result = run_workflow(
            manifests_from_documents([*templates, doc], source=f"resource {name}"),
            runs_root=glassbox_home() / "runs",
            extra_env=local_env(),
            workdir=Path.cwd(),
        )
        return {"workflow": result.name}

    return handle
