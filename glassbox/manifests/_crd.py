"""Custom resources validated against their CustomResourceDefinitions' OpenAPI v3 schemas.

Where the CRDs come from, in order:

1. ``$GLASSBOX_CRD_PATH``: files or directories (``os.pathsep``-separated) holding
   ``CustomResourceDefinition`` YAML documents, e.g. your operators' ``crds/`` folders;
2. next to a source checkout, ``../shared/argo-rollouts`` (Rollout, AnalysisTemplate,
   ClusterAnalysisTemplate, AnalysisRun, Experiment; Argo Rollouts v1.9.1) and
   ``../shared/prometheus-operator`` (ServiceMonitor, PodMonitor, PrometheusRule; v0.93.0).

Each served version's ``openAPIV3Schema`` is adjusted the way the API server reads it, then made
strict (the upstream READMEs in shared/ list these adjustments):

- ``x-kubernetes-int-or-string`` fields accept an integer or a string;
- ``nullable: true`` accepts null;
- every object with ``properties`` and no ``x-kubernetes-preserve-unknown-fields`` forbids
  unknown keys (the API server prunes them silently, which hides a misspelt key);
- ``metadata`` is validated as Kubernetes ObjectMeta, and embedded Kubernetes types (a
  Rollout's pod template, an AnalysisTemplate's Job spec) against the Kubernetes schema of the
  target release instead of the CRD's trimmed copy (whose resources and volumes are free-form).

What no schema can see (CEL ``x-kubernetes-validations``, expressions, queries, references) is
left to semantic checks.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from glassbox.manifests._finding import LintError
from glassbox.manifests._jsonschema import TYPE_KEY
from glassbox.manifests._kube import definition_ref, kube_registry

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator

CRD_PATH_ENV = "GLASSBOX_CRD_PATH"
_SHARED = ("argo-rollouts", "prometheus-operator")
_POD_TEMPLATE = "io.k8s.api.core.v1.PodTemplateSpec"
#: Kubernetes types embedded in custom resources, by (group, kind): schema path → definition.
EMBEDDED: dict[tuple[str, str], dict[str, str]] = {
    ("argoproj.io", "Rollout"): {"spec.template": _POD_TEMPLATE},
    ("argoproj.io", "Experiment"): {"spec.templates[].template": _POD_TEMPLATE},
    **{
        ("argoproj.io", kind): {"spec.metrics[].provider.job.spec": "io.k8s.api.batch.v1.JobSpec"}
        for kind in ("AnalysisTemplate", "ClusterAnalysisTemplate", "AnalysisRun")
    },
}
_OBJECT_META = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"

if TYPE_CHECKING:
    _Loader = yaml.SafeLoader
else:  # libyaml's parser when PyYAML was built with it (the CRD files are large)
    _Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def crd_sources() -> tuple[Path, ...]:
    """The files and directories CRDs are read from (see the module docstring)."""
    configured = os.environ.get(CRD_PATH_ENV, "").strip()
    if configured:
        paths = tuple(Path(part).expanduser() for part in configured.split(os.pathsep) if part)
        missing = [str(path) for path in paths if not path.exists()]
        if missing:
            raise LintError(f"{CRD_PATH_ENV}: no such file or directory: {', '.join(missing)}")
        return tuple(path.resolve() for path in paths)
    shared = Path(__file__).resolve().parents[2].parent / "shared"
    return tuple(shared / name for name in _SHARED if (shared / name).is_dir())


@functools.cache
def crd_index(sources: tuple[Path, ...]) -> dict[tuple[str, str], tuple[str, Mapping[str, Any]]]:
    """``(apiVersion, kind)`` → (CRD file, openAPIV3Schema) of every served version."""
    index: dict[tuple[str, str], tuple[str, Mapping[str, Any]]] = {}
    for file in _yaml_files(sources):
        try:
            docs = list(yaml.load_all(file.read_text(encoding="utf-8"), Loader=_Loader))
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            raise LintError(f"{file}: not a readable CRD file ({exc})") from exc
        for doc in docs:
            if isinstance(doc, Mapping) and doc.get("kind") == "CustomResourceDefinition":
                for key, schema in _served_schemas(doc):
                    index.setdefault(key, (str(file), schema))
    return index


def _yaml_files(sources: tuple[Path, ...]) -> Iterator[Path]:
    for source in sources:
        if source.is_file():
            yield source
        else:
            yield from sorted(p for p in source.rglob("*") if p.suffix in (".yaml", ".yml"))


def _served_schemas(crd: Mapping[str, Any]) -> Iterator[tuple[tuple[str, str], Any]]:
    spec = crd.get("spec") or {}
    group, kind = spec.get("group"), (spec.get("names") or {}).get("kind")
    for version in spec.get("versions") or []:
        schema = ((version.get("schema") or {}).get("openAPIV3Schema")) if version else None
        if version.get("served", True) and isinstance(schema, Mapping) and group and kind:
            yield (f"{group}/{version['name']}", str(kind)), schema


@functools.cache
def crd_validator(
    kubernetes_version: str, api_version: str, kind: str, sources: tuple[Path, ...]
) -> Draft202012Validator | None:
    """The strict validator of a custom resource kind, or ``None`` when no CRD defines it."""
    from jsonschema import Draft202012Validator

    found = crd_index(sources).get((api_version, kind))
    if found is None:
        return None
    file, original = found
    schema = strict_schema(original, kind)
    properties = schema.setdefault("properties", {})
    properties["apiVersion"] = {"const": api_version}
    properties["kind"] = {"const": kind}
    properties["metadata"] = definition_ref(_OBJECT_META)
    group = api_version.partition("/")[0]
    for path, definition in EMBEDDED.get((group, kind), {}).items():
        _replace(schema, path, definition_ref(definition), file)
    return Draft202012Validator(schema, registry=kube_registry(kubernetes_version))


def strict_schema(schema: Mapping[str, Any], owner: str) -> dict[str, Any]:
    """A copy of a CRD's OpenAPI v3 (sub)schema as the API server reads it, unknown keys closed."""
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "properties" and isinstance(value, Mapping):
            out[key] = {
                name: strict_schema(sub, f"{owner}.{name}") if isinstance(sub, Mapping) else sub
                for name, sub in value.items()
            }
        elif key in ("items", "additionalProperties") and isinstance(value, Mapping):
            out[key] = strict_schema(value, owner)
        elif key in ("anyOf", "oneOf", "allOf") and isinstance(value, list):
            out[key] = [strict_schema(v, owner) if isinstance(v, Mapping) else v for v in value]
        else:
            out[key] = value
    if out.pop("x-kubernetes-int-or-string", False):
        out.pop("anyOf", None)
        out["type"] = ["integer", "string"]
    if out.pop("nullable", False) and isinstance(out.get("type"), str):
        out["type"] = [out["type"], "null"]
    if out.get("properties") and not out.get("x-kubernetes-preserve-unknown-fields"):
        out.setdefault("additionalProperties", False)
        out.setdefault(TYPE_KEY, owner)
    return out


def _replace(schema: dict[str, Any], path: str, replacement: dict[str, Any], file: str) -> None:
    """Swap the subschema at a dotted path (``[]`` steps into ``items``) for ``replacement``."""
    node = schema
    parts = path.split(".")
    for index, part in enumerate(parts):
        name, items = (part[:-2], True) if part.endswith("[]") else (part, False)
        properties = node.get("properties")
        if not isinstance(properties, dict) or name not in properties:
            raise LintError(f"{file}: the CRD schema has no '{path}' (expected an embedded type)")
        if index == len(parts) - 1 and not items:
            properties[name] = replacement
            return
        node = properties[name]["items"] if items else properties[name]
