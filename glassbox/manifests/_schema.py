"""Structural validation of Argo manifests against the official Argo Workflows JSON schema.

Where the schema comes from, in order:

1. ``$GLASSBOX_ARGO_SCHEMA``: a path to Argo's ``api/jsonschema/schema.json`` (a missing file is
   a :class:`LintError`), or the word ``hera`` to force the fallback below;
2. ``<repo>/../shared/argo/argo-workflows-schema.json`` next to a source checkout;
3. otherwise the JSON schema that pydantic derives from Hera's generated models
   (``hera.workflows.models``), which are generated from the same Argo release. It is
   structurally equivalent for the fields Glassbox emits; its messages are the same.

Two quirks of the official file are corrected before use: IntOrString is typed as ``string``
only (so ``retryStrategy.limit: 3``, as Hera writes it, would fail) and is widened to
string-or-integer; Quantity and Argo's AnyString (``Parameter.value``/``default``/``enum``)
accept the YAML scalars Kubernetes and Argo accept. No definition forbids unknown keys, so in
strict mode (the default) every object definition that lists ``properties`` gets
``additionalProperties: false`` and a misspelt key (``retryStrategyy``) is reported; maps such
as ``labels`` or ``nodeSelector`` (declared with ``additionalProperties``) stay open.

The patched validator is built once per (kind, strictness, source) and cached.
"""

from __future__ import annotations

import copy
import functools
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from glassbox.manifests._finding import (
    ARGO_KINDS,
    Collector,
    Finding,
    LintError,
    document_label,
)
from glassbox.manifests._jsonschema import TYPE_KEY, forbid_unknown_keys, report

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator

SCHEMA_ENV = "GLASSBOX_ARGO_SCHEMA"
_SCHEMA_FILE = Path("shared") / "argo" / "argo-workflows-schema.json"
_ROOT_URI = "urn:glassbox:argo-workflows-schema"
_ARGO_PREFIX = "io.argoproj.workflow.v1alpha1."
_ANY_STRING = ["string", "integer", "number", "boolean"]


def schema_location() -> Path | None:
    """The Argo schema file in use, or ``None`` when Hera's models stand in for it."""
    configured = os.environ.get(SCHEMA_ENV, "").strip()
    if configured.lower() == "hera":
        return None
    if configured:
        path = Path(configured).expanduser()
        if not path.is_file():
            raise LintError(
                f"{SCHEMA_ENV}={configured}: no such file (expected Argo's api/jsonschema/"
                "schema.json, or 'hera' to use Hera's models)"
            )
        return path.resolve()
    candidate = Path(__file__).resolve().parents[2].parent / _SCHEMA_FILE
    return candidate if candidate.is_file() else None


def validate_schema(doc: object, *, strict: bool = True, file: str = "") -> list[Finding]:
    """Validate one Workflow / WorkflowTemplate / ClusterWorkflowTemplate / CronWorkflow document.

    Returns one :class:`Finding` per violation (an unknown key, a wrong type, a missing required
    field...), each with the JSON path of the offending value. ``strict=False`` accepts unknown
    keys, as the unpatched schema does.
    """
    if not isinstance(doc, Mapping):
        return [Finding(file, "<document>", "", "a manifest must be a mapping")]
    out = Collector(file, document_label(doc))
    kind = doc.get("kind")
    if kind not in ARGO_KINDS:
        out.error("kind", f"expected one of {', '.join(ARGO_KINDS)}, got {kind!r}")
        return out.findings
    validator = _validator(str(kind), strict, schema_location())
    for error in validator.iter_errors(doc):
        report(error, out)
    return out.findings


@functools.cache
def _validator(kind: str, strict: bool, location: Path | None) -> Draft202012Validator:
    from jsonschema import Draft202012Validator
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    if location is None:
        definitions, refs = _hera_definitions()
    else:
        definitions, refs = _file_definitions(location)
    definitions = copy.deepcopy(definitions)
    _patch_quirks(definitions)
    if strict:
        for name, definition in definitions.items():
            definition.setdefault(TYPE_KEY, name.rsplit(".", 1)[-1])
            forbid_unknown_keys(definition)
    resource = Resource.from_contents({"definitions": definitions}, DRAFT202012)
    registry: Registry[Any] = Registry().with_resource(_ROOT_URI, resource)
    return Draft202012Validator(
        {"$ref": f"{_ROOT_URI}#/definitions/{refs[kind]}"}, registry=registry
    )


def _file_definitions(location: Path) -> tuple[dict[str, Any], dict[str, str]]:
    try:
        definitions = json.loads(location.read_text(encoding="utf-8"))["definitions"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise LintError(f"{location}: not a readable Argo JSON schema ({exc})") from exc
    missing = [k for k in ARGO_KINDS if _ARGO_PREFIX + k not in definitions]
    if missing:
        raise LintError(f"{location}: no definitions for {', '.join(missing)}")
    return definitions, {kind: _ARGO_PREFIX + kind for kind in ARGO_KINDS}


@functools.cache
def _hera_definitions() -> tuple[dict[str, Any], dict[str, str]]:
    from hera.workflows import models
    from pydantic.json_schema import models_json_schema

    kinds = [getattr(models, kind) for kind in ARGO_KINDS]
    refs, schema = models_json_schema(
        [(model, "validation") for model in kinds],
        by_alias=True,
        ref_template="#/definitions/{model}",
    )
    definitions = schema["$defs"]
    names = {model.__name__: ref["$ref"].rsplit("/", 1)[-1] for (model, _), ref in refs.items()}
    for kind, name in names.items():  # the models leave both free-form; the official file does not
        properties = definitions[name]["properties"]
        properties["apiVersion"] = {"const": "argoproj.io/v1alpha1"}
        properties["kind"] = {"const": kind}
        definitions[name]["required"] = ["metadata", "spec"]
    return definitions, names


def _patch_quirks(definitions: dict[str, Any]) -> None:
    for name, definition in definitions.items():
        short = name.rsplit(".", 1)[-1]
        if short == "IntOrString":
            definitions[name] = {"type": ["string", "integer"], TYPE_KEY: short}
        elif short == "Quantity":
            definitions[name] = {"type": ["string", "integer", "number"], TYPE_KEY: short}
        elif short == "Parameter" and isinstance(definition.get("properties"), dict):
            props = definition["properties"]
            for field in ("value", "default"):
                props[field] = {"type": _ANY_STRING}
            props["enum"] = {"type": "array", "items": {"type": _ANY_STRING}}
