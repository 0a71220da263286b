"""Argo's simple template tags (``{{workflow.name}}``, ``{{inputs.parameters.x}}``, ...).

Substitution is one pass, like Argo's fasttemplate: a substituted value is never scanned again.
Every tag must resolve; an unknown name, an output of a task that never ran (and declares no
default) or an expression tag (``{{=...}}``) raises :class:`UnresolvedReferenceError`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from glassbox.runner._errors import RunnerError

__all__ = [
    "Absent",
    "Scope",
    "UnresolvedReferenceError",
    "item_node_desc",
    "item_scope",
    "item_string",
    "param_string",
    "render",
    "render_deep",
]

_TAG = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)


class Absent:
    """The value of an output that was never produced (its task was Skipped or Omitted)."""

    __slots__ = ("reason",)

    def __init__(self, reason: str) -> None:
        self.reason = reason

    def __repr__(self) -> str:
        return f"Absent({self.reason!r})"


Scope = Mapping[str, "str | Absent"]


class UnresolvedReferenceError(RunnerError):
    """A ``{{...}}`` tag that the scope cannot resolve."""

    def __init__(self, expression: str, reason: str) -> None:
        super().__init__(f"cannot resolve {expression}: {reason}")
        self.expression = expression
        self.reason = reason


def render(text: str, scope: Scope) -> str:
    """Replace every ``{{name}}`` in ``text`` with its value in ``scope``."""
    if "{{" not in text:
        return text

    def replace(match: re.Match[str]) -> str:
        key = match.group(1).strip()
        if key.startswith("="):
            raise UnresolvedReferenceError(
                match.group(0), "expression tags ({{=...}}) are not supported by the local runner"
            )
        value = scope.get(key)
        if value is None:
            raise UnresolvedReferenceError(match.group(0), "no such variable in this scope")
        if isinstance(value, Absent):
            raise UnresolvedReferenceError(match.group(0), value.reason)
        return value

    return _TAG.sub(replace, text)


def render_deep(value: Any, scope: Scope) -> Any:
    """``render`` applied to every string inside nested mappings and lists (keys untouched)."""
    if isinstance(value, str):
        return render(value, scope)
    if isinstance(value, Mapping):
        return {key: render_deep(item, scope) for key, item in value.items()}
    if isinstance(value, list):
        return [render_deep(item, scope) for item in value]
    return value


def param_string(value: Any) -> str:
    """A parameter value as Argo stores it: YAML scalars as text, structures as compact JSON."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    return _compact_json(value)


def item_string(value: Any) -> str:
    """``{{item}}`` for one ``withItems``/``withParam`` element (Argo's ``Item.String()``)."""
    return value if isinstance(value, str) else _compact_json(value)


def item_scope(value: Any) -> dict[str, str]:
    """The loop variables of one element: ``item`` and, for objects, ``item.<key>``."""
    scope = {"item": item_string(value)}
    if isinstance(value, Mapping):
        scope.update({f"item.{key}": item_string(val) for key, val in value.items()})
    return scope


def item_node_desc(value: Any) -> str:
    """The ``(index:desc)`` part of a fanned-out node name, as Argo's ``generateNodeName``."""
    if isinstance(value, Mapping):
        desc = ",".join(sorted(f"{key}:{item_string(val)}" for key, val in value.items()))
    elif isinstance(value, list):
        desc = "[" + " ".join(item_string(val) for val in value) + "]"
    else:
        desc = item_string(value)
    return desc.replace("(", "").replace(")", "")


def _compact_json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=True, ensure_ascii=False)
