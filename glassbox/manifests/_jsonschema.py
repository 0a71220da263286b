"""What every schema pass shares: closing object schemas, turning jsonschema errors into findings.

The Argo schema, the Kubernetes schemas (kubernetes-validate) and the CRD schemas all go through
the same reporting, so an unknown key, a wrong type or a missing field reads the same whatever
the kind: the JSON path of the value, what was expected, what was found, and for a misspelt
key the closest known field.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from glassbox.manifests._finding import Collector, join

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError

#: Annotation naming the type a (sub)schema describes, for messages ("unknown field 'x' in
#: DeploymentSpec"). Validators ignore unknown keywords, so it changes no verdict.
TYPE_KEY = "x-glassbox-type"
_JSON_TYPES = {
    dict: "object",
    list: "array",
    str: "string",
    bool: "boolean",
    int: "integer",
    float: "number",
    type(None): "null",
}


def forbid_unknown_keys(schema: object) -> None:
    """Close every object schema that declares ``properties`` (maps keep their value schema)."""
    if isinstance(schema, list):
        for item in schema:
            forbid_unknown_keys(item)
        return
    if not isinstance(schema, dict):
        return
    properties = schema.get("properties")
    if isinstance(properties, dict) and properties:  # `properties: {}` is a free-form object
        schema.setdefault("additionalProperties", False)
        for sub in properties.values():
            forbid_unknown_keys(sub)
    for key in ("items", "additionalProperties", "anyOf", "oneOf", "allOf"):
        forbid_unknown_keys(schema.get(key))


def report(error: ValidationError, out: Collector) -> None:
    """Add the finding(s) one jsonschema error stands for to ``out``."""
    path = json_path(error.absolute_path)
    validator, instance, expected = error.validator, error.instance, error.validator_value
    if validator in ("anyOf", "oneOf") and error.context:
        types = _branch_types(expected)
        if types is not None:
            out.error(path, f"expected {' or '.join(types)}, got {describe(instance)}")
            return
        branch = _only_non_null_branch(error)
        if branch is not None:
            for sub in branch:
                report(sub, out)
            return
    if validator == "additionalProperties" and isinstance(instance, Mapping):
        known = set(error.schema.get("properties", {}))
        for key in sorted(set(instance) - known, key=str):
            out.error(join(path, str(key)), _unknown_key(str(key), known, error.schema))
    elif validator == "required" and isinstance(instance, Mapping):
        for field in expected:
            if field not in instance and f"{field!r} is a required" in error.message:
                out.error(path, f"missing required field '{field}'")
    elif validator == "type":
        types = expected if isinstance(expected, list) else [expected]
        out.error(path, f"expected {' or '.join(types)}, got {describe(instance)}")
    elif validator in ("const", "enum"):
        allowed = [expected] if validator == "const" else list(expected)
        shown = ", ".join(repr(v) for v in allowed)
        out.error(path, f"expected {shown}, got {describe(instance)}")
    else:
        out.error(path, error.message)


def _branch_types(branches: object) -> list[str] | None:
    """``["string", "integer"]`` for ``oneOf: [{type: string}, {type: integer}]``, else None.

    Kubernetes' IntOrString and Quantity are such unions; "expected string or integer" says
    more than jsonschema's "is not valid under any of the given schemas".
    """
    if not isinstance(branches, list) or not branches:
        return None
    types: list[str] = []
    for branch in branches:
        if not isinstance(branch, Mapping) or set(branch) - {"type", "format", "description"}:
            return None
        declared = branch.get("type")
        for name in declared if isinstance(declared, list) else [declared]:
            if isinstance(name, str) and name != "null" and name not in types:
                types.append(name)
    return types or None


def _only_non_null_branch(error: ValidationError) -> list[ValidationError] | None:
    """Errors of the single branch of ``anyOf: [X, {type: null}]`` that is not the null type."""
    branches: dict[int, list[ValidationError]] = {}
    for sub in error.context or ():
        index = sub.relative_schema_path[0]
        if isinstance(index, int) and error.validator_value[index] != {"type": "null"}:
            branches.setdefault(index, []).append(sub)
    return next(iter(branches.values())) if len(branches) == 1 else None


def _unknown_key(key: str, known: set[str], schema: Mapping[str, Any]) -> str:
    owner = schema.get(TYPE_KEY) or schema.get("title") or "this object"
    close = difflib.get_close_matches(key, sorted(known), n=1, cutoff=0.75)
    if close:
        return f"unknown field '{key}' in {owner} (did you mean '{close[0]}'?)"
    return f"unknown field '{key}' in {owner} (known fields: {', '.join(sorted(known))})"


def describe(value: object) -> str:
    """``string "abc"``: the JSON type and the start of the value, for messages."""
    text = json.dumps(value, default=str)
    return f"{_JSON_TYPES.get(type(value), type(value).__name__)} {text[:60]}"


def json_path(parts: Iterable[str | int]) -> str:
    """``spec.template.spec.containers[0].image`` from jsonschema's path deque."""
    path = ""
    for part in parts:
        path = join(path, part)
    return path
