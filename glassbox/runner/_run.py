"""``run_workflow``: execute a compiled Argo workflow on this machine."""

from __future__ import annotations

import json
import secrets
import threading
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console

from glassbox.runner._context import ResourceHandler, RunContext, file_key
from glassbox.runner._dag import DagRun, execute_unit
from glassbox.runner._display import Display
from glassbox.runner._errors import ManifestError, RunnerError, WorkflowFailed
from glassbox.runner._loading import Manifests, WorkflowSource, load_manifests
from glassbox.runner._process import ProcessRegistry
from glassbox.runner._results import TaskResult, TaskStatus, WorkflowResult, WorkflowStatus
from glassbox.runner._retry import parse_duration
from glassbox.runner._scope import bind_inputs, global_scope, template_scope
from glassbox.runner._substitution import param_string
from glassbox.runner._templates import TemplateContext, TemplateResolver, template_kind
from glassbox.runner._units import Unit, default_resource_handler

__all__ = ["run_workflow"]

_NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"  # Kubernetes' generateName suffix alphabet


def _workflow_parameters(
    spec: Mapping[str, Any], overrides: Mapping[str, Any], where: str
) -> dict[str, str]:
    declared = (spec.get("arguments") or {}).get("parameters") or []
    names = [str(p.get("name")) for p in declared]
    unknown = sorted(set(overrides) - set(names))
    if unknown:
        raise ManifestError(
            f"{where}: unknown workflow parameter {unknown[0]!r} "
            f"(declared: {', '.join(names) or 'none'})"
        )
    values: dict[str, str] = {}
    for param in declared:
        name = str(param.get("name"))
        if name in overrides:
            value = param_string(overrides[name])
        elif param.get("value") is not None:
            value = param_string(param["value"])
        elif param.get("default") is not None:
            value = param_string(param["default"])
        else:
            hint = f"pass parameters={{{name!r}: ...}}"
            raise ManifestError(f"{where}: workflow parameter {name!r} has no value; {hint}")
        allowed = [param_string(v) for v in param.get("enum") or []]
        if allowed and value not in allowed:
            raise ManifestError(
                f"{where}: workflow parameter {name!r} is {value!r}, expected one of {allowed}"
            )
        values[name] = value
    return values


def _worker_count(max_workers: int, parallelism: Any, where: str) -> int:
    """The runner's worker count, lowered to ``spec.parallelism`` when the workflow sets one."""
    if max_workers < 1:
        raise ManifestError(f"max_workers must be at least 1, got {max_workers}")
    if parallelism in (None, "", 0):
        return max_workers
    try:
        return max(1, min(max_workers, int(parallelism)))
    except (TypeError, ValueError):
        raise ManifestError(f"{where}: spec.parallelism must be an integer") from None


def _fresh_run_dir(root: Path, workflow_name: str) -> Path:
    """``<root>/<name>``, suffixed ``.2``, ``.3``... if a run already used it."""
    base = root / workflow_name
    candidate, number = base, 1
    while candidate.exists():
        number += 1
        candidate = base.with_name(f"{workflow_name}.{number}")
    return candidate


def _workflow_name(source: WorkflowSource, created: datetime) -> str:
    if source.cron_name is not None:
        return f"{source.cron_name}-{int(created.timestamp())}"
    if source.name:
        return source.name
    suffix = "".join(secrets.choice(_NAME_ALPHABET) for _ in range(5))
    return f"{source.generate_name}{suffix}"


@dataclass(frozen=True)
class _Launch:
    """What ``run_workflow`` decided before executing: source, entrypoint, identity."""

    source: WorkflowSource
    entrypoint: str
    on_exit: str | None
    params: Mapping[str, str]
    uid: str
    raise_on_failure: bool

    @property
    def where(self) -> str:
        return self.source.document.source


def _entry_unit(
    ctx: RunContext, template_name: str, *, name: str, node_name: str, params: Mapping[str, str]
) -> Unit:
    """A workflow-level unit (entrypoint or exit handler): its inputs bind workflow arguments."""
    where = f"template {template_name!r}"
    template, context = ctx.resolver.resolve({"template": template_name}, ctx.resolver.root, where)
    kind = template_kind(template, where)
    inputs = bind_inputs(template, params, {}, ctx.global_scope, where)
    return Unit(
        name=name,
        task=name,
        key=file_key(name),
        node_name=node_name,
        template=template,
        context=context,
        kind=kind,
        inputs=inputs,
    )


def run_workflow(
    manifests: Manifests | str | Path | Iterable[str | Path],
    name: str | None = None,
    *,
    parameters: Mapping[str, Any] | None = None,
    run_dir: str | Path | None = None,
    runs_root: str | Path | None = None,
    extra_env: Mapping[str, str] | None = None,
    workdir: str | Path | None = None,
    max_workers: int = 2,
    resource_handler: ResourceHandler | None = None,
    console: Console | None = None,
    backoff_scale: float = 1.0,
    namespace: str = "default",
    workflow_name: str | None = None,
    workflow_uid: str | None = None,
    raise_on_failure: bool = True,
) -> WorkflowResult:
    """Run a Workflow, CronWorkflow (once) or WorkflowTemplate from compiled Argo manifests.

    Each DAG task runs its container's ``command + args`` as a subprocess in ``workdir``
    (default: the current directory), in dependency order, at most ``max_workers`` at a time.
    Logs go to ``<run_dir>/logs/<task>[-<item>].log`` and the result to
    ``<run_dir>/result.json`` (``run_dir`` defaults to ``<runs_root>/<name>``, ``runs_root`` to
    ``<workdir>/.glassbox/runs``).
    ``parameters`` override the workflow's arguments; ``extra_env`` is added to every
    container's environment (it wins over the template's ``env``); ``backoff_scale``
    multiplies retry backoff waits (tests use ~0.01).
    Raises ``WorkflowFailed`` (with ``.result``) when the workflow ends Failed or Error, unless
    ``raise_on_failure`` is False; ``ManifestError`` for manifests it cannot run.
    """
    if not isinstance(manifests, Manifests):
        manifests = load_manifests(manifests)
    source = manifests.resolve(manifests.select(name))
    where = source.document.source
    spec = source.spec
    entrypoint = spec.get("entrypoint")
    if not entrypoint:
        raise ManifestError(f"{where}: spec.entrypoint is missing")
    params = _workflow_parameters(spec, parameters or {}, where)
    created = datetime.now(UTC).replace(microsecond=0)
    wf_name = workflow_name or _workflow_name(source, created)
    uid = workflow_uid or str(uuid.uuid4())
    work = Path(workdir).resolve() if workdir is not None else Path.cwd()
    root = Path(runs_root) if runs_root is not None else work / ".glassbox" / "runs"
    runs = Path(run_dir).resolve() if run_dir is not None else _fresh_run_dir(root, wf_name)
    resolver = TemplateResolver(manifests, TemplateContext.from_spec(where, spec))
    on_exit = spec.get("onExit")
    for field_name, template in (("entrypoint", entrypoint), ("onExit", on_exit)):
        if template:
            resolver.validate_root(str(template), f"{where}: spec.{field_name}")
    deadline = spec.get("activeDeadlineSeconds")
    ctx = RunContext(
        workflow_name=wf_name,
        global_scope=global_scope(
            name=wf_name,
            uid=uid,
            namespace=source.namespace or namespace,
            service_account=str(spec.get("serviceAccountName") or "default"),
            entrypoint=str(entrypoint),
            created=created,
            parameters=params,
            labels=source.labels,
            annotations=source.annotations,
            cron_name=source.cron_name,
        ),
        resolver=resolver,
        run_dir=runs,
        workdir=work,
        extra_env=dict(extra_env or {}),
        backoff_scale=backoff_scale,
        resource_handler=resource_handler or default_resource_handler,
        display=Display(console),
        slots=threading.Semaphore(_worker_count(max_workers, spec.get("parallelism"), where)),
        processes=ProcessRegistry(),
        namespace=source.namespace or namespace,
        service_account=str(spec.get("serviceAccountName") or "default"),
        deadline=None
        if deadline in (None, "")
        else time.monotonic() + parse_duration(deadline, f"{where}: spec.activeDeadlineSeconds"),
    )
    runs.mkdir(parents=True, exist_ok=True)
    ctx.display.workflow_started(
        wf_name, uid, f"{source.document.kind} {source.document.name}", runs
    )
    launch = _Launch(source, str(entrypoint), on_exit or None, params, uid, raise_on_failure)
    try:
        return _execute(ctx, launch)
    except BaseException:
        ctx.cancel.set()
        ctx.processes.stop_all()
        raise


def _execute(ctx: RunContext, launch: _Launch) -> WorkflowResult:
    started = datetime.now(UTC)
    entry = _entry_unit(
        ctx,
        launch.entrypoint,
        name=launch.entrypoint,
        node_name=ctx.workflow_name,
        params=launch.params,
    )
    if entry.kind == "dag":
        outcome = DagRun(ctx, entry, template_scope(ctx.global_scope, entry.inputs)).run()
        status, message = outcome.status, outcome.message
    else:
        single = execute_unit(ctx, entry)
        ctx.record(single)
        ctx.display.task_finished(single)
        status, message = single.status, single.message
    wf_status = (
        WorkflowStatus(status.value)
        if status.value in ("Failed", "Error")
        else WorkflowStatus.SUCCEEDED
    )
    handler: TaskResult | None = None
    if launch.on_exit:
        handler = _run_exit_handler(ctx, launch, wf_status, started)
        if wf_status is WorkflowStatus.SUCCEEDED and handler.failed:
            wf_status = WorkflowStatus(handler.status.value)
            message = f"exit handler {handler.status.value}: {handler.message}"
    result = WorkflowResult(
        name=ctx.workflow_name,
        uid=launch.uid,
        namespace=ctx.namespace,
        source=f"{launch.source.document.kind} {launch.source.document.name}",
        entrypoint=launch.entrypoint,
        status=wf_status,
        message=message if wf_status is not WorkflowStatus.SUCCEEDED else "",
        started_at=started,
        finished_at=datetime.now(UTC),
        run_dir=ctx.run_dir,
        parameters=dict(launch.params),
        tasks=ctx.records(),
        exit_handler=handler,
    )
    (ctx.run_dir / "result.json").write_text(result.model_dump_json(indent=2), encoding="utf-8")
    ctx.display.workflow_finished(result)
    if launch.raise_on_failure and not result.succeeded:
        raise WorkflowFailed(result)
    return result


def _run_exit_handler(
    ctx: RunContext, launch: _Launch, status: WorkflowStatus, started: datetime
) -> TaskResult:
    """Run ``spec.onExit`` with ``workflow.status``, ``workflow.failures`` in scope."""
    template = str(launch.on_exit)
    records = ctx.records()
    failures = [
        {
            "displayName": r.name,
            "message": r.message,
            "templateName": r.template,
            "phase": r.status.value,
            "podName": r.pod_name or "",
            "finishedAt": r.finished_at.isoformat() if r.finished_at else "",
        }
        for result in records.values()
        for r in result.failures()
    ]
    ctx.global_scope.update(
        {
            "workflow.status": status.value,
            "workflow.failures": json.dumps(failures),
            "workflow.duration": f"{(datetime.now(UTC) - started).total_seconds():.6f}",
        }
    )
    try:
        unit = _entry_unit(
            ctx,
            template,
            name="onExit",
            node_name=f"{ctx.workflow_name}.onExit",
            params=launch.params,
        )
        handler = execute_unit(ctx, unit)
    except RunnerError as exc:
        now = datetime.now(UTC)
        handler = TaskResult(
            name="onExit",
            task="onExit",
            template=template,
            status=TaskStatus.ERROR,
            message=str(exc),
            started_at=now,
            finished_at=now,
        )
    ctx.display.task_finished(handler)
    return handler
