"""DAG tasks and steps: names, dependencies, what they call and what they pass to it."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from glassbox.manifests._context import Callee, Context
from glassbox.manifests._dag import (
    ITEM_RESULTS,
    TASK_RESULTS,
    Dependency,
    DependsSyntaxError,
    ancestors,
    find_cycles,
    parse_depends,
)
from glassbox.manifests._fields import is_variable
from glassbox.manifests._finding import join, names
from glassbox.manifests._refs import Node, Scope, input_names

FIELD_NAME = re.compile(r"[a-zA-Z0-9][-a-zA-Z0-9]*")
_LOOPS = ("withItems", "withParam", "withSequence")
_TASK_NAME = re.compile(r"(?<![.\w-])([A-Za-z0-9][-A-Za-z0-9]*)")


def check_names(
    ctx: Context, items: list[tuple[Any, str]], what: str, pattern: re.Pattern[str]
) -> None:
    """Argo's validateWorkflowFieldNames: every (item, path) has a valid, unique ``name``."""
    seen: dict[str, str] = {}
    for item, path in items:
        if not isinstance(item, Mapping):
            continue
        name, where = item.get("name"), join(path, "name")
        if not isinstance(name, str) or not name:
            ctx.error(where, f"every {what} needs a name")
        elif not pattern.fullmatch(name) or len(name) > 128:
            ctx.error(
                where, f"{what} name '{name}' is invalid (expected {pattern.pattern}, max 128)"
            )
        elif name in seen:
            ctx.error(where, f"{what} name '{name}' is not unique (also at {seen[name]})")
        else:
            seen[name] = path


def indexed(items: object, path: str) -> list[tuple[Any, str]]:
    """``(item, path)`` pairs of a YAML list (empty for anything else)."""
    return (
        [(item, join(path, i)) for i, item in enumerate(items)] if isinstance(items, list) else []
    )


def check_dag(ctx: Context, template: Mapping[str, Any], path: str, scope: Scope) -> None:
    """Tasks of a DAG template: names, dependencies, cycles, references, arguments."""
    dag = template["dag"]
    tasks = dag.get("tasks") if isinstance(dag, Mapping) else None
    if not isinstance(tasks, list):
        return
    tasks_path = join(join(path, "dag"), "tasks")
    if not tasks:
        ctx.error(tasks_path, f"DAG template '{scope.template}' must have at least one task")
    check_names(ctx, indexed(tasks, tasks_path), "task", FIELD_NAME)
    entries = _named(tasks, tasks_path)
    edges = _edges(ctx, entries)
    for cycle in find_cycles(edges, list(entries)):
        closing = next(d for d in edges[cycle[-2]] if d.task == cycle[-1])
        ctx.error(closing.path, f"dependency cycle: {' -> '.join(cycle)}")
    lineage = ancestors(edges)
    nodes = _nodes(ctx, entries, "task")
    scope.node_kind, scope.nodes = "tasks", nodes
    for name, (task, task_path) in entries.items():
        _check_node(
            ctx,
            item=task,
            path=task_path,
            parent=scope,
            visible=lineage[name],
            owner=f"task '{name}'",
        )
    target = dag.get("target")
    if isinstance(target, str) and not is_variable(target):
        for item in target.split():
            if item not in entries:
                ctx.error(join(join(path, "dag"), "target"), _no_such("task", item, entries))


def check_steps(ctx: Context, template: Mapping[str, Any], path: str, scope: Scope) -> None:
    """Steps of a steps template: names, references to earlier groups, arguments."""
    groups = template["steps"]
    if not isinstance(groups, list):
        return
    flat: list[tuple[Any, str]] = []
    entries: dict[str, tuple[Mapping[str, Any], str]] = {}
    order: dict[str, int] = {}
    for g, group in enumerate(groups):
        for step, step_path in indexed(group, join(join(path, "steps"), g)):
            flat.append((step, step_path))
            name = step.get("name") if isinstance(step, Mapping) else None
            if isinstance(name, str) and name not in entries:
                entries[name] = (step, step_path)
                order[name] = g
    check_names(ctx, flat, "step", FIELD_NAME)
    nodes = _nodes(ctx, entries, "step")
    scope.node_kind, scope.nodes = "steps", nodes
    for name, (step, step_path) in entries.items():
        visible = {other for other, g in order.items() if g < order[name]}
        _check_node(
            ctx, item=step, path=step_path, parent=scope, visible=visible, owner=f"step '{name}'"
        )


def check_inputs_supplied(
    ctx: Context,
    callee: Callee,
    arguments: object,
    path: str,
    owner: str,
    *,
    warn_extra: bool = True,
) -> None:
    """Every required input of ``callee`` is passed; passed values are valid for its enums."""
    params = arguments.get("parameters") if isinstance(arguments, Mapping) else None
    params_path = join(join(path, "arguments"), "parameters")
    supplied: dict[str, tuple[int, Mapping[str, Any]]] = {}
    for index, param in enumerate(params if isinstance(params, list) else []):
        if isinstance(param, Mapping) and isinstance(param.get("name"), str):
            supplied.setdefault(param["name"], (index, param))
    if callee.template is None:
        return
    inputs = callee.template.get("inputs")
    declared = inputs.get("parameters") if isinstance(inputs, Mapping) else None
    known: set[str] = set()
    for item in declared if isinstance(declared, list) else []:
        if not isinstance(item, Mapping) or not isinstance(item.get("name"), str):
            continue
        name = item["name"]
        known.add(name)
        given = supplied.get(name)
        if given is None and all(item.get(k) is None for k in ("value", "default", "valueFrom")):
            ctx.error(
                join(path, "arguments"),
                f"template '{callee.label}' requires input parameter '{name}', "
                f"which {owner} does not pass in arguments.parameters",
            )
        enum = item.get("enum")
        value = given[1].get("value") if given else None
        allowed = {str(e) for e in enum} if isinstance(enum, list) else None
        if (
            given
            and allowed
            and value is not None
            and not is_variable(value)
            and str(value) not in allowed
        ):
            ctx.error(
                join(join(params_path, given[0]), "value"),
                f"'{value}' is not one of the values input '{name}' of template "
                f"'{callee.label}' allows ({names(allowed)})",
            )
    for name, (index, _) in supplied.items():
        if warn_extra and name not in known:
            ctx.out.warning(
                join(params_path, index),
                f"template '{callee.label}' declares no input parameter '{name}'; "
                "Argo ignores this argument",
            )


def _named(items: list[Any], path: str) -> dict[str, tuple[Mapping[str, Any], str]]:
    entries: dict[str, tuple[Mapping[str, Any], str]] = {}
    for index, item in enumerate(items):
        if isinstance(item, Mapping) and isinstance(item.get("name"), str):
            entries.setdefault(item["name"], (item, join(path, index)))
    return entries


def _edges(
    ctx: Context, entries: dict[str, tuple[Mapping[str, Any], str]]
) -> dict[str, list[Dependency]]:
    using_depends = any(task.get("depends") for task, _ in entries.values())
    edges: dict[str, list[Dependency]] = {}
    for name, (task, path) in entries.items():
        deps: list[Dependency] = []
        depends, dependencies = task.get("depends"), task.get("dependencies")
        if using_depends and dependencies:
            ctx.error(join(path, "dependencies"), "a DAG cannot mix depends and dependencies")
        if (depends or dependencies) and name[:1].isdigit():
            ctx.error(
                join(path, "name"),
                f"task '{name}' uses dependencies: its name must not begin with a digit",
            )
        if isinstance(depends, str) and depends.strip():
            deps.extend(_parse(ctx, depends, join(path, "depends")))
        for index, dep in enumerate(dependencies if isinstance(dependencies, list) else []):
            deps.append(Dependency(str(dep), None, join(join(path, "dependencies"), index)))
        for dep in deps:
            target = entries.get(dep.task)
            if target is None:
                ctx.error(dep.path, _no_such("task", dep.task, entries))
            elif dep.result in ITEM_RESULTS and not any(target[0].get(k) for k in _LOOPS):
                ctx.error(
                    dep.path,
                    f"{dep.task}.{dep.result} needs task '{dep.task}' to loop "
                    "(withItems, withParam or withSequence)",
                )
        edges[name] = [d for d in deps if d.task in entries]
    return edges


def _parse(ctx: Context, expression: str, path: str) -> list[Dependency]:
    try:
        found = parse_depends(expression)
    except DependsSyntaxError as exc:
        ctx.error(path, f"cannot parse depends '{expression}': {exc}")
        # Keep the task names it does mention, so one typo does not cascade into more findings.
        return [Dependency(name, None, path) for name in _TASK_NAME.findall(expression)]
    deps = []
    for task, result in found:
        if result is not None and result not in TASK_RESULTS:
            ctx.error(
                path, f"'{task}.{result}': unknown task result (expected {names(TASK_RESULTS)})"
            )
        deps.append(Dependency(task, result, path))
    return deps


def _nodes(
    ctx: Context, entries: dict[str, tuple[Mapping[str, Any], str]], noun: str
) -> dict[str, Node]:
    nodes: dict[str, Node] = {}
    for name, (item, path) in entries.items():
        callee = ctx.resolve(item, path, f"{noun} '{name}'")
        fans_out = any(item.get(k) for k in _LOOPS)
        template = callee.template if callee else None
        nodes[name] = Node(name, template, callee.label if callee else "?", fans_out)
        if callee is not None:
            check_inputs_supplied(ctx, callee, item.get("arguments"), path, f"{noun} '{name}'")
    return nodes


def check_exit_handlers(ctx: Context, holder: Mapping[str, Any], path: str) -> None:
    """``onExit`` and ``hooks`` of a workflow spec, a task or a step name existing templates."""
    on_exit = holder.get("onExit")
    unknown = isinstance(on_exit, str) and on_exit not in ctx.templates
    if unknown and on_exit and not is_variable(on_exit):
        ctx.error(join(path, "onExit"), ctx.missing_template(str(on_exit)))
    hooks = holder.get("hooks")
    for name, hook in hooks.items() if isinstance(hooks, Mapping) else []:
        if isinstance(hook, Mapping):
            hook_path = join(join(path, "hooks"), str(name))
            if name != "exit" and not hook.get("expression"):
                ctx.error(hook_path, f"hook '{name}' needs an expression (only 'exit' may omit it)")
            ctx.resolve(hook, hook_path, f"hook '{name}'")


def _check_node(
    ctx: Context,
    *,
    item: Mapping[str, Any],
    path: str,
    parent: Scope,
    visible: set[str],
    owner: str,
) -> None:
    loops = [k for k in _LOOPS if item.get(k)]
    if len(loops) > 1:
        ctx.error(
            path,
            f"{owner} sets {' and '.join(loops)}: "
            "use only one of withItems, withParam, withSequence",
        )
    check_exit_handlers(ctx, item, path)
    inline = item.get("inline")
    inputs = parent.inputs | (
        input_names(inline, "parameters") if isinstance(inline, Mapping) else set()
    )
    scope = Scope(
        template=parent.template,
        inputs=inputs,
        input_artifacts=parent.input_artifacts,
        globals=parent.globals,
        node_kind=parent.node_kind,
        nodes=parent.nodes,
        visible=visible,
        owner=owner,
        loop=_loop_tags(item) if loops else None,
        any_item=bool(loops) and not item.get("withItems"),
    )
    params = (
        item.get("arguments", {}).get("parameters")
        if isinstance(item.get("arguments"), Mapping)
        else None
    )
    for index, param in enumerate(params if isinstance(params, list) else []):
        if (
            isinstance(param, Mapping)
            and param.get("value") is None
            and param.get("valueFrom") is None
        ):
            where = join(join(join(path, "arguments"), "parameters"), index)
            ctx.error(
                where, f"argument '{param.get('name')}' of {owner} needs a value or valueFrom"
            )
    ctx.scan({k: v for k, v in item.items() if k not in ("inline", "hooks")}, path, scope)
    # Lifecycle hooks run after the node itself, so they may read its own status and outputs.
    name = item.get("name")
    scope.visible = visible | ({name} if isinstance(name, str) else set())
    ctx.scan(item.get("hooks"), join(path, "hooks"), scope)


def _loop_tags(item: Mapping[str, Any]) -> set[str]:
    """``item`` (the whole item, JSON for maps and lists) and each ``item.<key>`` withItems has."""
    allowed = {"item"}
    for value in item.get("withItems") or []:
        if isinstance(value, Mapping):
            allowed.update(f"item.{key}" for key in value)
        elif isinstance(value, list):
            allowed.update(f"item.[{i}]" for i in range(len(value)))
    return allowed


def _no_such(noun: str, name: str, entries: Mapping[str, Any]) -> str:
    return f"{noun} '{name}' does not exist ({noun}s: {names(entries)})"
