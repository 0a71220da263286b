"""The variables Argo puts in scope: workflow globals, template inputs and task outputs."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from glassbox.runner._errors import RunnerError
from glassbox.runner._results import TaskResult, TaskStatus
from glassbox.runner._substitution import Absent, Scope, param_string, render

__all__ = [
    "aggregate_outputs",
    "bind_inputs",
    "dag_outputs",
    "global_scope",
    "outputs_scope",
    "rfc3339",
    "template_scope",
]

_STRFTIME = "aAbBcCdDeFgGhHIjklmMnpPrRsSTuUVwWxXyYzZ"


def rfc3339(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def global_scope(
    *,
    name: str,
    uid: str,
    namespace: str,
    service_account: str,
    entrypoint: str,
    created: datetime,
    parameters: Mapping[str, str],
    labels: Mapping[str, str],
    annotations: Mapping[str, str],
    cron_name: str | None,
) -> dict[str, str]:
    """``workflow.*`` (and, for a CronWorkflow, ``cronworkflow.*``) variables."""
    params_json = json.dumps([{"name": k, "value": v} for k, v in parameters.items()])
    scope = {
        "workflow.name": name,
        "workflow.uid": uid,
        "workflow.namespace": namespace,
        "workflow.serviceAccountName": service_account,
        "workflow.mainEntrypoint": entrypoint,
        "workflow.creationTimestamp": rfc3339(created),
        "workflow.creationTimestamp.RFC3339": rfc3339(created),
        "workflow.parameters": params_json,
        "workflow.parameters.json": params_json,
        "workflow.labels.json": json.dumps(dict(labels)),
        "workflow.annotations.json": json.dumps(dict(annotations)),
        "workflow.priority": "0",
    }
    scope.update({f"workflow.creationTimestamp.{c}": created.strftime(f"%{c}") for c in _STRFTIME})
    scope.update({f"workflow.parameters.{k}": v for k, v in parameters.items()})
    scope.update({f"workflow.labels.{k}": v for k, v in labels.items()})
    scope.update({f"workflow.annotations.{k}": v for k, v in annotations.items()})
    if cron_name is not None:
        scope["workflow.scheduledTime"] = rfc3339(created)
        scope["cronworkflow.name"] = cron_name
        scope["cronworkflow.namespace"] = namespace
    return scope


def bind_inputs(
    template: Mapping[str, Any],
    arguments: Mapping[str, str],
    dropped: Mapping[str, str],
    scope: Scope,
    where: str,
) -> dict[str, str]:
    """Input parameter values: the argument, else ``default``, else ``value`` (Argo's order)."""
    bound: dict[str, str] = {}
    for param in (template.get("inputs") or {}).get("parameters") or []:
        name = str(param.get("name"))
        if name in arguments:
            value = arguments[name]
        elif param.get("default") is not None:
            value = render(param_string(param["default"]), scope)
        elif param.get("value") is not None:
            value = render(param_string(param["value"]), scope)
        elif name in dropped:
            raise RunnerError(f"{where}: inputs.parameters.{name} has no value: {dropped[name]}")
        else:
            raise RunnerError(f"{where}: inputs.parameters.{name} was not supplied")
        allowed = [param_string(v) for v in param.get("enum") or []]
        if allowed and value not in allowed:
            raise RunnerError(
                f"{where}: inputs.parameters.{name} is {value!r}, expected one of {allowed}"
            )
        bound[name] = value
    return bound


def template_scope(globals_: Mapping[str, str], inputs: Mapping[str, str]) -> dict[str, str]:
    scope = dict(globals_)
    scope.update({f"inputs.parameters.{k}": v for k, v in inputs.items()})
    scope["inputs.parameters"] = json.dumps([{"name": k, "value": v} for k, v in inputs.items()])
    return scope


def aggregate_outputs(items: Iterable[TaskResult]) -> tuple[dict[str, str], str, str]:
    """Fan-out outputs as Argo aggregates them from the Succeeded items, in item order.

    Returns (``outputs.parameters.<name>`` JSON lists, ``outputs.parameters`` JSON list of
    maps, ``outputs.result`` JSON list). A name's list holds parsed JSON when every value is a
    JSON object or array, else the values as strings.
    """
    done = [item for item in items if item.status is TaskStatus.SUCCEEDED]
    values: dict[str, list[str]] = {}
    maps = []
    results: list[Any] = []
    for item in done:
        if item.outputs:
            maps.append(dict(item.outputs))
            for name, value in item.outputs.items():
                values.setdefault(name, []).append(value)
        if item.result is not None:
            results.append(_json_or_string(item.result))
    by_name = {name: _aggregate_list(vals) for name, vals in values.items()}
    return by_name, json.dumps(maps), json.dumps(results)


def _json_or_string(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def _aggregate_list(values: list[str]) -> str:
    parsed = [_json_or_string(v) for v in values]
    if all(isinstance(p, dict | list) for p in parsed):
        return json.dumps(parsed)
    return json.dumps(values)


def outputs_scope(
    task: str, result: TaskResult, declared: Iterable[Mapping[str, Any]]
) -> dict[str, str | Absent]:
    """``tasks.<task>.*`` variables a downstream task may reference."""
    prefix = f"tasks.{task}"
    scope: dict[str, str | Absent] = {f"{prefix}.status": result.status.value}
    if result.exit_code is not None:
        scope[f"{prefix}.exitCode"] = str(result.exit_code)
    if result.started_at is not None:
        scope[f"{prefix}.startedAt"] = rfc3339(result.started_at)
    if result.finished_at is not None:
        scope[f"{prefix}.finishedAt"] = rfc3339(result.finished_at)
    status = result.status.value
    if result.status in (TaskStatus.SKIPPED, TaskStatus.OMITTED):
        for param in declared:
            name = str(param.get("name"))
            default = (param.get("valueFrom") or {}).get("default")
            scope[f"{prefix}.outputs.parameters.{name}"] = (
                param_string(default)
                if default is not None
                else Absent(
                    f"task {task!r} was {status} and its output parameter {name!r} "
                    "declares no valueFrom.default"
                )
            )
        scope[f"{prefix}.outputs.result"] = Absent(f"task {task!r} was {status}")
        return scope
    for param in declared:
        name = str(param.get("name"))
        scope[f"{prefix}.outputs.parameters.{name}"] = Absent(
            f"task {task!r} ended {status} without output parameter {name!r}"
        )
    if result.items:
        by_name, maps, results = aggregate_outputs(result.items)
        for param in declared:
            scope[f"{prefix}.outputs.parameters.{param.get('name')}"] = "[]"
        scope[f"{prefix}.outputs.parameters"] = maps
        scope[f"{prefix}.outputs.result"] = results
        scope.update({f"{prefix}.outputs.parameters.{k}": v for k, v in by_name.items()})
        return scope
    scope.update({f"{prefix}.outputs.parameters.{k}": v for k, v in result.outputs.items()})
    scope[f"{prefix}.outputs.result"] = (
        result.result
        if result.result is not None
        else Absent(f"task {task!r} ended {status} without a result")
    )
    return scope


def dag_outputs(template: Mapping[str, Any], scope: Scope, where: str) -> dict[str, str]:
    """A DAG template's output parameters from ``valueFrom.parameter`` (or ``value``)."""
    outputs: dict[str, str] = {}
    for param in (template.get("outputs") or {}).get("parameters") or []:
        name = str(param.get("name"))
        value_from = param.get("valueFrom") or {}
        source = value_from.get("parameter", param.get("value"))
        if source is None:
            raise RunnerError(f"{where}: output {name!r} needs valueFrom.parameter")
        try:
            outputs[name] = render(param_string(source), scope)
        except RunnerError:
            if value_from.get("default") is None:
                raise
            outputs[name] = param_string(value_from["default"])
    return outputs
