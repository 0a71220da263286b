"""Run a ``dag`` template: tasks in dependency order, fan-outs, nested DAGs, Argo's DAG phase."""

from __future__ import annotations

import queue
import threading
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from glassbox.runner._container import run_container
from glassbox.runner._context import RunContext, file_key
from glassbox.runner._depends import TaskOutcome
from glassbox.runner._errors import RunnerError
from glassbox.runner._expand import task_arguments, task_items
from glassbox.runner._results import TaskResult, TaskStatus
from glassbox.runner._scope import (
    aggregate_outputs,
    bind_inputs,
    dag_outputs,
    outputs_scope,
    template_scope,
)
from glassbox.runner._substitution import (
    Absent,
    item_node_desc,
    item_scope,
    render,
)
from glassbox.runner._templates import DagPlan, TaskPlan
from glassbox.runner._units import Unit, run_resource
from glassbox.runner._when import evaluate_when

__all__ = ["DagOutcome", "DagRun", "execute_unit"]

_FAILED = (TaskStatus.FAILED, TaskStatus.ERROR)


@dataclass(frozen=True)
class DagOutcome:
    status: TaskStatus
    message: str
    outputs: dict[str, str]


@dataclass
class _Running:
    """A started task: its units' results fill ``slots`` (one per item)."""

    task: TaskPlan
    expanded: bool
    slots: list[TaskResult | None]
    outstanding: int = 0
    started: datetime = field(default_factory=lambda: datetime.now(UTC))


def execute_unit(ctx: RunContext, unit: Unit) -> TaskResult:
    """Run one unit by template kind (container, resource, or a nested DAG)."""
    if unit.kind == "container":
        return run_container(ctx, unit)
    if unit.kind == "resource":
        return run_resource(ctx, unit)
    started = datetime.now(UTC)
    scope = template_scope(ctx.global_scope, unit.inputs)
    run = DagRun(ctx, unit, scope)
    ctx.display.task_started(unit.name, None, 0)
    outcome = run.run()
    return TaskResult(
        name=unit.name,
        task=unit.task,
        template=unit.template_name,
        status=outcome.status,
        message=outcome.message,
        outputs=outcome.outputs,
        started_at=started,
        finished_at=datetime.now(UTC),
        item=unit.item,
        item_index=unit.item_index,
    )


def _parallelism(value: Any, scope: Mapping[str, str], where: str) -> int | None:
    if value in (None, ""):
        return None
    text = render(str(value), scope)
    try:
        return max(1, int(text))
    except ValueError:
        raise RunnerError(f"{where}: parallelism must be an integer, got {text!r}") from None


def _outcome(result: TaskResult) -> TaskOutcome:
    items = result.items
    return TaskOutcome(
        phase=result.status.value,
        any_succeeded=any(i.status is TaskStatus.SUCCEEDED for i in items),
        all_failed=bool(items) and all(i.status is TaskStatus.FAILED for i in items),
    )


class DagRun:
    """Schedules one DAG's tasks; units run on threads, this loop owns all state."""

    def __init__(self, ctx: RunContext, unit: Unit, scope: Mapping[str, str]) -> None:
        self.ctx = ctx
        self.unit = unit
        self.plan: DagPlan = ctx.resolver.plan(unit.template, unit.context)
        self.scope = dict(scope)
        self.prefix = "" if unit.node_name == ctx.workflow_name else f"{unit.name}."
        self.key_prefix = "" if unit.node_name == ctx.workflow_name else f"{unit.key}."
        self.results: dict[str, TaskResult] = {}
        self.pending = [task.name for task in self.plan.tasks]
        self.running: dict[str, _Running] = {}
        self.waiting: deque[tuple[str, int, Unit]] = deque()
        self.active = 0
        self.done: queue.Queue[tuple[str, int, TaskResult]] = queue.Queue()
        self.parallelism = _parallelism(
            unit.template.get("parallelism"), self.scope, self.plan.where
        )

    def run(self) -> DagOutcome:
        while True:
            self._schedule()
            self._launch()
            if not self.running:
                break
            self._finish(*self._next_done())
        if self.pending:  # cannot happen for a validated (acyclic) plan
            raise RunnerError(f"{self.plan.where}: tasks {self.pending} could never start")
        return self._assess()

    # -- scheduling ---------------------------------------------------------------------

    def _schedule(self) -> None:
        progressed = True
        while progressed:
            progressed = False
            for name in list(self.pending):
                task = self.plan.task(name)
                deps = task.depends.tasks if task.depends else frozenset()
                if any(dep not in self.results for dep in deps):
                    continue
                self.pending.remove(name)
                progressed = True
                outcomes = {dep: _outcome(self.results[dep]) for dep in deps}
                if task.depends is not None and not task.depends.evaluate(outcomes):
                    self._complete(
                        self._plain(task, TaskStatus.OMITTED, "depends condition not met")
                    )
                else:
                    self._start(task)

    def _plain(self, task: TaskPlan, status: TaskStatus, message: str, **extra: Any) -> TaskResult:
        now = datetime.now(UTC)
        started = extra.pop("started_at", now)
        return TaskResult(
            name=extra.pop("name", self.prefix + task.name),
            task=task.name,
            template=task.template_name,
            status=status,
            message=message,
            started_at=started if status in (*_FAILED, TaskStatus.SUCCEEDED) else None,
            finished_at=now if status in (*_FAILED, TaskStatus.SUCCEEDED) else None,
            **extra,
        )

    def _start(self, task: TaskPlan) -> None:
        scope = self._scope_for(task)
        when = task.spec.get("when")
        per_item_when = when is not None and "{{item" in str(when)
        try:
            if when is not None and not per_item_when:
                text = render(str(when), scope)
                if not evaluate_when(text):
                    self._complete(
                        self._plain(task, TaskStatus.SKIPPED, f"when '{text}' evaluated false")
                    )
                    return
            if not task.expands:
                unit = self._unit(task, scope, None, None)
                self.running[task.name] = _Running(task, False, [None], 1)
                self.waiting.append((task.name, 0, unit))
                return
            items = task_items(task.spec, scope)
        except RunnerError as exc:
            self._complete(self._plain(task, TaskStatus.ERROR, str(exc)))
            return
        if not items:
            self._complete(self._plain(task, TaskStatus.SKIPPED, "Skipped, empty params"))
            return
        running = _Running(task, True, [None] * len(items))
        self.running[task.name] = running
        for index, item in enumerate(items):
            item_vars = {**scope, **item_scope(item)}
            name = f"{self.prefix}{task.name}({index}:{item_node_desc(item)})"
            extra = {"name": name, "item": item, "item_index": index}
            try:
                if per_item_when:
                    text = render(str(when), item_vars)
                    if not evaluate_when(text):
                        skipped = self._plain(
                            task, TaskStatus.SKIPPED, f"when '{text}' evaluated false", **extra
                        )
                        running.slots[index] = skipped
                        self.ctx.display.task_finished(skipped)
                        continue
                unit = self._unit(task, item_vars, item, index)
            except RunnerError as exc:
                failed = self._plain(task, TaskStatus.ERROR, str(exc), **extra)
                running.slots[index] = failed
                self.ctx.display.task_finished(failed)
                continue
            running.outstanding += 1
            self.waiting.append((task.name, index, unit))
        if running.outstanding == 0:
            self._complete_group(task.name)

    def _unit(
        self, task: TaskPlan, scope: Mapping[str, str | Absent], item: Any, index: int | None
    ) -> Unit:
        suffix = "" if index is None else f"({index}:{item_node_desc(item)})"
        name = f"{self.prefix}{task.name}{suffix}"
        args, dropped = task_arguments(task.spec, scope)
        inputs = bind_inputs(task.template, args, dropped, self.ctx.global_scope, f"task {name!r}")
        return Unit(
            name=name,
            task=task.name,
            key=self.key_prefix + file_key(task.name) + ("" if index is None else f"-{index}"),
            node_name=f"{self.unit.node_name}.{task.name}{suffix}",
            template=task.template,
            context=task.context,
            kind=task.kind,
            inputs=inputs,
            item=item,
            item_index=index,
        )

    def _scope_for(self, task: TaskPlan) -> dict[str, str | Absent]:
        scope: dict[str, str | Absent] = dict(self.scope)
        for name in self.plan.ancestors[task.name]:
            scope.update(
                outputs_scope(name, self.results[name], self.plan.task(name).declared_outputs)
            )
        return scope

    # -- running ------------------------------------------------------------------------

    def _launch(self) -> None:
        while self.waiting and (self.parallelism is None or self.active < self.parallelism):
            task, index, unit = self.waiting.popleft()
            self.active += 1
            worker = threading.Thread(
                target=self._work,
                args=(task, index, unit),
                name=f"glassbox-{unit.key}",
                daemon=True,
            )
            worker.start()

    def _work(self, task: str, index: int, unit: Unit) -> None:
        reason = "interrupted"
        result: TaskResult | None = None
        try:
            result = execute_unit(self.ctx, unit)
        except Exception as exc:  # report on the task: a bug must not hang or crash the run
            reason = str(exc) if isinstance(exc, RunnerError) else f"internal error: {exc!r}"
        finally:  # always answer, or the scheduling loop would wait forever
            if result is None:
                result = self._plain(
                    self.plan.task(task),
                    TaskStatus.ERROR,
                    reason,
                    name=unit.name,
                    item=unit.item,
                    item_index=unit.item_index,
                )
            self.done.put((task, index, result))

    def _next_done(self) -> tuple[str, int, TaskResult]:
        while True:
            try:
                return self.done.get(timeout=0.5)
            except queue.Empty:
                continue

    def _finish(self, task: str, index: int, result: TaskResult) -> None:
        self.active -= 1
        running = self.running[task]
        running.slots[index] = result
        running.outstanding -= 1
        if not running.expanded:
            del self.running[task]
            self._complete(result)
            return
        self.ctx.display.task_finished(result)
        if running.outstanding == 0:
            self._complete_group(task)

    def _complete_group(self, task: str) -> None:
        running = self.running.pop(task)
        items = tuple(slot for slot in running.slots if slot is not None)
        failed = [item for item in items if item.status in _FAILED]
        by_name, _, _ = aggregate_outputs(items)
        for param in running.task.declared_outputs:
            by_name.setdefault(str(param.get("name")), "[]")
        finished = [i.finished_at for i in items if i.finished_at is not None]
        self._complete(
            self._plain(
                running.task,
                failed[-1].status if failed else TaskStatus.SUCCEEDED,
                f"{len(failed)} of {len(items)} items failed" if failed else "",
                outputs=by_name,
                items=items,
                started_at=running.started,
            ).model_copy(update={"finished_at": max(finished, default=datetime.now(UTC))})
        )

    def _complete(self, result: TaskResult) -> None:
        self.results[result.task] = result
        self.ctx.record(result)
        self.ctx.display.task_finished(result)

    # -- outcome ------------------------------------------------------------------------

    def _branch_phases(self, name: str, memo: dict[str, set[str]]) -> set[str]:
        """Argo's branch phase: a Skipped/Omitted task inherits its parents' phases."""
        if name not in memo:
            result = self.results[name]
            task = self.plan.task(name)
            if result.status in (*_FAILED, TaskStatus.SUCCEEDED):
                memo[name] = {result.status.value}
            elif task.depends is None or not task.depends.tasks:
                memo[name] = {TaskStatus.SUCCEEDED.value}
            else:
                memo[name] = set().union(
                    *(self._branch_phases(p, memo) for p in task.depends.tasks)
                )
        return memo[name]

    def _assess(self) -> DagOutcome:
        memo: dict[str, set[str]] = {}
        status = TaskStatus.SUCCEEDED
        for target in self.plan.targets:
            phases = self._branch_phases(target, memo)
            accepted = self.plan.task(target).continue_on
            for phase, result in (("Failed", "Failed"), ("Error", "Errored")):
                if phase in phases and result not in accepted and status is TaskStatus.SUCCEEDED:
                    status = TaskStatus(phase)
        if status is not TaskStatus.SUCCEEDED:
            failed = [f"{r.name!r} {r.status.value}" for r in self.results.values() if r.failed]
            label = "task" if len(failed) == 1 else "tasks"
            return DagOutcome(status, f"{label} {', '.join(failed)}", {})
        try:
            return DagOutcome(status, "", self._outputs())
        except RunnerError as exc:
            return DagOutcome(TaskStatus.ERROR, str(exc), {})

    def _outputs(self) -> dict[str, str]:
        scope: dict[str, str | Absent] = dict(self.scope)
        for task in self.plan.tasks:
            scope.update(outputs_scope(task.name, self.results[task.name], task.declared_outputs))
        return dag_outputs(self.unit.template, scope, self.plan.where)
