"""A DAG task's arguments and its ``withItems`` / ``withParam`` / ``withSequence`` items."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from glassbox.runner._errors import RunnerError
from glassbox.runner._substitution import Absent, param_string, render, render_deep

__all__ = ["task_arguments", "task_items"]

_SOLE_TAG = re.compile(r"\{\{\s*([^{}]+?)\s*\}\}")


def task_arguments(
    spec: Mapping[str, Any], scope: Mapping[str, str | Absent]
) -> tuple[dict[str, str], dict[str, str]]:
    """Substituted argument values, and the arguments dropped because their value is absent.

    As in Argo, an argument that is solely a reference to an output that was never produced is
    left out, so the input's own default applies (its reason is kept for the error otherwise).
    """
    args: dict[str, str] = {}
    dropped: dict[str, str] = {}
    for param in (spec.get("arguments") or {}).get("parameters") or []:
        name = str(param.get("name"))
        if param.get("valueFrom") is not None:
            raise RunnerError(f"argument {name!r}: valueFrom is not supported by the local runner")
        if "value" not in param:
            continue
        raw = param_string(param["value"])
        sole = _SOLE_TAG.fullmatch(raw)
        absent = scope.get(sole.group(1)) if sole else None
        if isinstance(absent, Absent):
            dropped[name] = absent.reason
            continue
        args[name] = render(raw, scope)
    return args, dropped


def task_items(spec: Mapping[str, Any], scope: Mapping[str, str | Absent]) -> list[Any]:
    """The items a fanned-out task runs once each, after substitution."""
    if "withItems" in spec:
        items = render_deep(spec["withItems"], scope)
        if not isinstance(items, list):
            raise RunnerError(f"withItems must be a list, got {items!r}")
        return items
    if "withParam" in spec:
        text = render(param_string(spec["withParam"]), scope)
        try:
            items = json.loads(text)
        except ValueError:
            items = None
        if not isinstance(items, list):
            shown = text.strip()[:200]
            raise RunnerError(f"withParam value could not be parsed as a JSON list: {shown}")
        return items
    return _sequence(render_deep(spec["withSequence"], scope))


def _sequence(sequence: Any) -> list[str]:
    if not isinstance(sequence, Mapping):
        raise RunnerError(f"withSequence must be a mapping, got {sequence!r}")
    try:
        start = int(sequence.get("start") or 0)
        if sequence.get("count") not in (None, ""):
            numbers = list(range(start, start + int(sequence["count"])))
        else:
            end = int(sequence.get("end") or 0)
            step = 1 if end >= start else -1
            numbers = list(range(start, end + step, step))
    except (TypeError, ValueError):
        raise RunnerError(
            f"withSequence needs integer start/end/count, got {dict(sequence)}"
        ) from None
    fmt = str(sequence.get("format") or "%d")
    try:
        return [fmt % number for number in numbers]
    except (TypeError, ValueError):
        raise RunnerError(
            f"withSequence.format {fmt!r} is not a printf format for one integer"
        ) from None
