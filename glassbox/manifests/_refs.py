"""``{{...}}`` references: where they occur and whether they resolve in their scope.

Mirrors Argo's ``resolveAllVariables``: only the namespaces Argo validates are checked
(``inputs.``, ``workflow.parameters.``, ``tasks.``, ``steps.``, ``item``); expression tags
(``{{=...}}``) and other variables (``{{pod.name}}``, ``{{workflow.status}}``...) are left to run
time, as Argo does.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from glassbox.manifests._finding import join, names

_TAG = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)
#: Template types whose node has ``outputs.result`` (Argo's ``Template.HasOutput``).
RESULT_TYPES = frozenset({"container", "script", "containerSet", "data", "http", "plugin"})
_NODE_FIELDS = frozenset(
    {"id", "status", "startedAt", "finishedAt", "hostNodeName", "exitCode", "ip"}
)


@dataclass(frozen=True)
class Node:
    """A DAG task or a step as seen by references to it."""

    name: str
    template: Mapping[str, Any] | None  # None when the template cannot be resolved offline
    template_label: str
    fans_out: bool


@dataclass
class Scope:
    """What a reference may name at one place in a template."""

    template: str
    inputs: set[str]
    input_artifacts: set[str]
    globals: set[str] | None  # None: workflow parameters cannot be known (unresolved reference)
    node_kind: str | None = None  # "tasks" in a DAG template, "steps" in a steps template
    nodes: dict[str, Node] = field(default_factory=dict)
    visible: set[str] | None = None  # nodes that may be referenced; None: all of them
    owner: str = ""  # "task 'train'", for messages
    loop: set[str] | None = None  # allowed item tags; None: not in a loop
    any_item: bool = False  # withParam / withSequence: any {{item...}} is accepted


def strings(value: object, path: str) -> Iterator[tuple[str, str]]:
    """Every string in a YAML value with its JSON path."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, Mapping):
        for key, sub in value.items():
            yield from strings(sub, join(path, str(key)))
    elif isinstance(value, list):
        for index, sub in enumerate(value):
            yield from strings(sub, join(path, index))


def tags(text: str) -> list[str]:
    """The trimmed ``{{tag}}`` contents in a string, expression tags included."""
    return [match.strip() for match in _TAG.findall(text)]


def check(tag: str, scope: Scope) -> str | None:
    """Why ``{{tag}}`` does not resolve in ``scope``; ``None`` if it does or is not checked."""
    if tag.startswith("="):
        return None
    parts = tag.split(".")
    head = parts[0]
    if head == "item":
        return _check_item(tag, scope)
    if head == "inputs" and len(parts) >= 2:
        return _check_input(parts, scope)
    if head == "workflow" and len(parts) >= 3 and parts[1] == "parameters":
        return _check_global(".".join(parts[2:]), scope)
    if head in ("tasks", "steps") and len(parts) >= 2 and parts[1] != "name":
        return _check_node(head, parts, scope)
    return None


def _check_item(tag: str, scope: Scope) -> str | None:
    if scope.loop is None:
        return "only defined in a task or step with withItems, withParam or withSequence"
    if scope.any_item or tag in scope.loop:
        return None
    keys = sorted(t.removeprefix("item.") for t in scope.loop if t != "item")
    return f"no withItems entry has key '{tag.removeprefix('item.')}' (keys: {names(keys)})"


def _check_input(parts: list[str], scope: Scope) -> str | None:
    kind = parts[1]
    if kind not in ("parameters", "artifacts"):
        return None
    if not scope.template:
        return "inputs are only defined inside a template"
    declared = scope.inputs if kind == "parameters" else scope.input_artifacts
    if len(parts) == 2:
        return None if declared else f"template '{scope.template}' declares no input {kind}"
    name = parts[2]
    if name in declared:
        return None
    noun = "parameter" if kind == "parameters" else "artifact"
    return (
        f"template '{scope.template}' declares no input {noun} '{name}' (inputs: {names(declared)})"
    )


def _check_global(name: str, scope: Scope) -> str | None:
    if scope.globals is None or name in scope.globals or name == "json":
        return None
    return (
        f"workflow parameter '{name}' is not declared in spec.arguments.parameters "
        f"(declared: {names(scope.globals)})"
    )


def _check_node(kind: str, parts: list[str], scope: Scope) -> str | None:
    noun = "task" if kind == "tasks" else "step"
    if scope.node_kind != kind:
        where = "a DAG template" if kind == "tasks" else "a steps template"
        return f"{{{{{kind}.*}}}} can only be used inside {where}"
    name = parts[1]
    node = scope.nodes.get(name)
    if node is None:
        return f"{noun} '{name}' does not exist ({kind}: {names(scope.nodes)})"
    if scope.visible is not None and name not in scope.visible:
        if kind == "tasks":
            return f"task '{name}' is not a dependency of {scope.owner}; add it to depends"
        return f"step '{name}' does not run in an earlier step group than {scope.owner}"
    return _check_node_field(node, parts[2:], noun)


def _check_node_field(node: Node, rest: list[str], noun: str) -> str | None:
    if len(rest) == 1 and rest[0] in _NODE_FIELDS:
        return None
    if len(rest) == 2 and rest == ["outputs", "result"]:
        return _check_result(node)
    if len(rest) in (2, 3) and rest[0] == "outputs" and rest[1] in ("parameters", "artifacts"):
        return _check_output(node, rest[1], rest[2] if len(rest) == 3 else None, noun)
    return (
        f"unknown {noun} attribute '{'.'.join(rest)}' (expected outputs.parameters.<name>, "
        f"outputs.artifacts.<name>, outputs.result, {', '.join(sorted(_NODE_FIELDS))})"
    )


def _check_result(node: Node) -> str | None:
    kind = template_type(node.template) if node.template is not None else None
    if kind is None or kind in RESULT_TYPES:
        return None
    return f"template '{node.template_label}' is a {kind} template and has no outputs.result"


def _check_output(node: Node, what: str, name: str | None, noun: str) -> str | None:
    if name is None:
        return None if node.fans_out else f"name the output: outputs.{what}.<name>"
    if node.template is None:
        return None
    declared = output_names(node.template, what)
    if name in declared:
        return None
    return (
        f"template '{node.template_label}' (run by {noun} '{node.name}') declares no output "
        f"{what[:-1]} '{name}' (outputs: {names(declared)})"
    )


TEMPLATE_TYPES = (
    "container",
    "containerSet",
    "steps",
    "script",
    "resource",
    "dag",
    "suspend",
    "data",
    "http",
    "plugin",
)


def template_type(template: Mapping[str, Any]) -> str | None:
    """The single template type set on a template, or ``None`` when zero or several are."""
    kinds = [kind for kind in TEMPLATE_TYPES if template.get(kind) is not None]
    return kinds[0] if len(kinds) == 1 else None


def output_names(template: Mapping[str, Any], what: str) -> set[str]:
    return _names(template.get("outputs"), what)


def input_names(template: Mapping[str, Any], what: str) -> set[str]:
    return _names(template.get("inputs"), what)


def _names(block: object, what: str) -> set[str]:
    if not isinstance(block, Mapping) or not isinstance(block.get(what), list):
        return set()
    return {str(p["name"]) for p in block[what] if isinstance(p, Mapping) and "name" in p}
