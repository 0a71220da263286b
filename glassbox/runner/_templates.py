"""Template lookup (``template``, ``templateRef``, ``inline``) and DAG plans, checked up front.

Before anything runs, every template reachable from the entrypoint (and ``onExit``) is resolved
and every DAG is planned: task names unique, ``depends`` parsed, targets existing, no cycles,
only template types the local runner executes. Mistakes surface before the first process starts.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from glassbox.runner._depends import DependsExpr, from_dependencies, parse_depends
from glassbox.runner._errors import ManifestError
from glassbox.runner._loading import Manifests

__all__ = ["DagPlan", "TaskPlan", "TemplateContext", "TemplateResolver", "template_kind"]

_RUNNABLE = ("container", "dag", "resource")
_OTHER = ("script", "steps", "suspend", "http", "plugin", "containerSet", "data")


def template_kind(template: Mapping[str, Any], where: str) -> str:
    for kind in _RUNNABLE:
        if template.get(kind) is not None:
            return kind
    for kind in _OTHER:
        if template.get(kind) is not None:
            raise ManifestError(
                f"{where}: {kind!r} templates are not supported by the local runner "
                "(it runs container, dag and resource templates)"
            )
    raise ManifestError(f"{where}: template has no container, dag or resource section")


@dataclass(frozen=True)
class TemplateContext:
    """The templates a name is looked up in: a workflow's, or a referenced WorkflowTemplate's."""

    owner: str
    templates: Mapping[str, Mapping[str, Any]]
    defaults: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_spec(cls, owner: str, spec: Mapping[str, Any]) -> TemplateContext:
        templates: dict[str, Mapping[str, Any]] = {}
        for index, template in enumerate(spec.get("templates") or []):
            if not isinstance(template, Mapping) or not template.get("name"):
                raise ManifestError(f"{owner}: spec.templates[{index}] has no name")
            templates[str(template["name"])] = template
        return cls(owner=owner, templates=templates, defaults=spec.get("templateDefaults") or {})

    def get(self, name: str, needed_by: str) -> dict[str, Any]:
        template = self.templates.get(name)
        if template is None:
            known = ", ".join(sorted(self.templates)) or "none"
            raise ManifestError(
                f"{needed_by} references template {name!r}, which {self.owner} does not define "
                f"(it defines: {known})"
            )
        merged = _with_defaults(template, self.defaults)
        # Prometheus metrics are evaluated by Argo's controller after the node ends
        # ({{status}}, {{duration}}): nothing to run locally.
        merged.pop("metrics", None)
        return merged


def _with_defaults(template: Mapping[str, Any], defaults: Mapping[str, Any]) -> dict[str, Any]:
    merged = copy.deepcopy(dict(defaults))
    for key, value in template.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _with_defaults(value, merged[key])
        else:
            merged[key] = copy.deepcopy(value)
    return merged


@dataclass(frozen=True)
class TaskPlan:
    """One DAG task with its template resolved and its dependencies parsed."""

    name: str
    spec: Mapping[str, Any]
    template: Mapping[str, Any]
    context: TemplateContext
    kind: str
    depends: DependsExpr | None
    continue_on: frozenset[str]

    @property
    def template_name(self) -> str:
        return str(self.template.get("name") or self.name)

    @property
    def expands(self) -> bool:
        return any(key in self.spec for key in ("withItems", "withParam", "withSequence"))

    @property
    def declared_outputs(self) -> list[Mapping[str, Any]]:
        return list((self.template.get("outputs") or {}).get("parameters") or [])


@dataclass(frozen=True)
class DagPlan:
    """A DAG template's tasks in declaration order, their ancestry and the target tasks."""

    name: str
    where: str
    tasks: tuple[TaskPlan, ...]
    targets: tuple[str, ...]
    ancestors: Mapping[str, frozenset[str]]

    def task(self, name: str) -> TaskPlan:
        return next(t for t in self.tasks if t.name == name)


class TemplateResolver:
    """Resolves task templates across the run's manifests and caches DAG plans."""

    def __init__(self, manifests: Manifests, root: TemplateContext) -> None:
        self.manifests = manifests
        self.root = root
        self._contexts: dict[tuple[str, bool], TemplateContext] = {}
        self._plans: dict[tuple[str, str], DagPlan] = {}

    def resolve(
        self, holder: Mapping[str, Any], context: TemplateContext, where: str
    ) -> tuple[dict[str, Any], TemplateContext]:
        """The template a task (or exit hook) runs and the context its own references use."""
        if holder.get("inline") is not None:
            return _with_defaults(holder["inline"], context.defaults), context
        ref = holder.get("templateRef")
        if ref is not None:
            if not isinstance(ref, Mapping) or not ref.get("name") or not ref.get("template"):
                raise ManifestError(f"{where}: templateRef needs both name and template")
            cluster = bool(ref.get("clusterScope"))
            key = (str(ref["name"]), cluster)
            if key not in self._contexts:
                doc = self.manifests.workflow_template(
                    key[0], cluster_scope=cluster, needed_by=where
                )
                self._contexts[key] = TemplateContext.from_spec(f"{doc.kind} {doc.name}", doc.spec)
            ref_context = self._contexts[key]
            return ref_context.get(str(ref["template"]), where), ref_context
        if not holder.get("template"):
            raise ManifestError(f"{where}: names no template (template, templateRef or inline)")
        return context.get(str(holder["template"]), where), context

    def plan(self, template: Mapping[str, Any], context: TemplateContext) -> DagPlan:
        key = (context.owner, json.dumps(template, sort_keys=True, default=str))
        if key not in self._plans:
            self._plans[key] = self._plan(template, context)
        return self._plans[key]

    def validate_root(self, template_name: str, where: str) -> None:
        """Check the workflow-level template ``template_name`` and all it reaches."""
        template, context = self.resolve({"template": template_name}, self.root, where)
        self.validate(template, context, where)

    def validate(self, template: Mapping[str, Any], context: TemplateContext, where: str) -> None:
        """Resolve and plan everything reachable from ``template``; raise on the first problem."""
        seen: set[tuple[str, str]] = set()
        pending = [(template, context, where)]
        while pending:
            current, ctx, at = pending.pop()
            kind = template_kind(current, at)
            mark = (ctx.owner, json.dumps(current, sort_keys=True, default=str))
            if mark in seen:
                continue
            seen.add(mark)
            if kind == "container":
                _check_container(current, at)
            elif kind == "dag":
                plan = self.plan(current, ctx)
                pending.extend(
                    (t.template, t.context, f"{plan.where} task {t.name!r}") for t in plan.tasks
                )

    def _plan(self, template: Mapping[str, Any], context: TemplateContext) -> DagPlan:
        name = str(template.get("name"))
        where = f"{context.owner} template {name!r}"
        raw_tasks = (template.get("dag") or {}).get("tasks") or []
        if not raw_tasks:
            raise ManifestError(f"{where}: dag has no tasks")
        specs: dict[str, Mapping[str, Any]] = {}
        for index, spec in enumerate(raw_tasks):
            task_name = spec.get("name") if isinstance(spec, Mapping) else None
            if not task_name:
                raise ManifestError(f"{where}: dag.tasks[{index}] has no name")
            if task_name in specs:
                raise ManifestError(f"{where}: task name {task_name!r} is used twice")
            specs[str(task_name)] = spec
        continue_on = {n: _continue_on(s) for n, s in specs.items()}
        tasks = [self._task(n, s, context, where, continue_on) for n, s in specs.items()]
        for task in tasks:
            unknown = sorted((task.depends.tasks if task.depends else set()) - specs.keys())
            if unknown:
                raise ManifestError(
                    f"{where} task {task.name!r}: depends on unknown task {unknown[0]!r}"
                )
        parents = {t.name: (t.depends.tasks if t.depends else frozenset()) for t in tasks}
        ancestors = {t.name: _ancestors(t.name, parents, where) for t in tasks}
        target = (template.get("dag") or {}).get("target")
        if target:
            targets = tuple(str(target).split())
            missing = [t for t in targets if t not in specs]
            if missing:
                raise ManifestError(f"{where}: dag.target names unknown task {missing[0]!r}")
        else:
            has_child = {p for ps in parents.values() for p in ps}
            targets = tuple(sorted(n for n in specs if n not in has_child))
        return DagPlan(name, where, tuple(tasks), targets, ancestors)

    def _task(
        self,
        name: str,
        spec: Mapping[str, Any],
        context: TemplateContext,
        where: str,
        continue_on: Mapping[str, frozenset[str]],
    ) -> TaskPlan:
        at = f"{where} task {name!r}"
        if spec.get("depends") and spec.get("dependencies"):
            raise ManifestError(f"{at}: use either depends or dependencies, not both")
        if (spec.get("arguments") or {}).get("artifacts"):
            raise ManifestError(f"{at}: artifact arguments are not supported by the local runner")
        depends: DependsExpr | None
        if spec.get("depends"):
            depends = parse_depends(str(spec["depends"]), at, continue_on)
        else:
            depends = from_dependencies(spec.get("dependencies") or [], at, continue_on)
        template, ctx = self.resolve(spec, context, at)
        kind = template_kind(template, f"{ctx.owner} template {template.get('name')!r}")
        return TaskPlan(name, spec, template, ctx, kind, depends, continue_on[name])


def _continue_on(spec: Mapping[str, Any]) -> frozenset[str]:
    flags = spec.get("continueOn") or {}
    results = {"Failed"} if flags.get("failed") else set()
    if flags.get("error"):
        results.add("Errored")
    return frozenset(results)


def _ancestors(name: str, parents: Mapping[str, frozenset[str]], where: str) -> frozenset[str]:
    found: set[str] = set()
    stack: list[tuple[str, tuple[str, ...]]] = [(name, (name,))]
    while stack:
        current, path = stack.pop()
        for parent in parents[current]:
            if parent == name:
                cycle = " -> ".join((*path, name)[::-1])
                raise ManifestError(f"{where}: dependency cycle {cycle}")
            if parent not in found:
                found.add(parent)
                stack.append((parent, (*path, parent)))
    return frozenset(found)


def _check_container(template: Mapping[str, Any], where: str) -> None:
    container = template.get("container") or {}
    if not container.get("command"):
        raise ManifestError(
            f"{where}: container.command is empty; the local runner cannot use an image's "
            "entrypoint, so the command must be spelled out"
        )
    for param in (template.get("outputs") or {}).get("parameters") or []:
        value_from = param.get("valueFrom")
        if value_from is None:
            continue
        if not value_from.get("path"):
            sources = ", ".join(sorted(k for k in value_from if k != "default")) or "nothing"
            raise ManifestError(
                f"{where}: output parameter {param.get('name')!r} reads from {sources}; "
                "the local runner reads output parameters from valueFrom.path only"
            )
