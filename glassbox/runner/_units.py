"""A unit of work (one task, or one item of a fan-out) and the ``resource`` template hook."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from glassbox.runner._context import RunContext
from glassbox.runner._errors import RunnerError
from glassbox.runner._results import TaskResult, TaskStatus
from glassbox.runner._scope import template_scope
from glassbox.runner._substitution import render_deep
from glassbox.runner._templates import TemplateContext

__all__ = ["Unit", "acquire_slot", "default_resource_handler", "run_resource"]

_SLOT_POLL_SECONDS = 0.2


@dataclass(frozen=True)
class Unit:
    """One execution of a template: a DAG task, or one item of a fanned-out task."""

    name: str  # display path, e.g. "map(1:2024-01-02)"
    task: str
    key: str  # file-safe, names the log and sandbox: "map-1"
    node_name: str  # Argo node name, hashed into the pod name
    template: Mapping[str, Any]
    context: TemplateContext
    kind: str
    inputs: Mapping[str, str]
    item: Any = None
    item_index: int | None = None

    @property
    def template_name(self) -> str:
        return str(self.template.get("name") or self.task)


def acquire_slot(ctx: RunContext) -> bool:
    """Wait for one of the runner's worker slots; False if the run was interrupted."""
    while not ctx.slots.acquire(timeout=_SLOT_POLL_SECONDS):
        if ctx.cancel.is_set():
            return False
    if ctx.cancel.is_set():
        ctx.slots.release()
        return False
    return True


def default_resource_handler(
    template: Mapping[str, Any], params: Mapping[str, str]
) -> dict[str, str]:
    """Used when the caller passes no handler: refuse, saying how to provide one."""
    action = (template.get("resource") or {}).get("action", "?")
    raise RunnerError(
        f"resource template {template.get('name')!r} (action {action}) has no local handler; "
        "pass resource_handler=... to run_workflow to run it"
    )


def run_resource(ctx: RunContext, unit: Unit) -> TaskResult:
    """Hand a ``resource`` template (substituted) and its inputs to the caller's handler."""
    started = datetime.now(UTC)

    def result(status: TaskStatus, message: str = "", outputs: dict[str, str] | None = None):
        return TaskResult(
            name=unit.name,
            task=unit.task,
            template=unit.template_name,
            status=status,
            message=message,
            outputs=outputs or {},
            started_at=started,
            finished_at=datetime.now(UTC),
            item=unit.item,
            item_index=unit.item_index,
        )

    pod = ctx.pod_name(unit.node_name, unit.template_name)
    scope = {
        **template_scope(ctx.global_scope, unit.inputs),
        "pod.name": pod,
        "node.name": unit.node_name,
        "tasks.name": unit.task,
    }
    try:
        rendered = render_deep(unit.template, scope)
    except RunnerError as exc:
        return result(TaskStatus.ERROR, str(exc))
    if not acquire_slot(ctx):
        return result(TaskStatus.FAILED, "run interrupted")
    try:
        started = datetime.now(UTC)
        ctx.display.task_started(unit.name, None, 0)
        outputs = ctx.resource_handler(rendered, dict(unit.inputs))
    except RunnerError as exc:
        return result(TaskStatus.ERROR, str(exc))
    except Exception as exc:  # the handler is the caller's code: report, don't crash the run
        return result(TaskStatus.ERROR, f"resource handler raised {type(exc).__name__}: {exc}")
    finally:
        ctx.slots.release()
    if not isinstance(outputs, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in outputs.items()
    ):
        return result(TaskStatus.ERROR, "resource handler must return a dict of str to str")
    return result(TaskStatus.SUCCEEDED, outputs=dict(outputs))
