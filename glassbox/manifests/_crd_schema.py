"""Strict structural validation of Argo Rollouts objects against the official CRD schemas.

The schemas are the ``openAPIV3Schema`` of Argo Rollouts' own CRDs (``manifests/crds`` of the
release, in ``../shared/argo-rollouts`` next to a source checkout, or ``$GLASSBOX_ROLLOUTS_CRDS``).
Two adjustments make them usable strictly with ``jsonschema`` (see that directory's README):
``x-kubernetes-int-or-string`` fields accept integers and strings, and every object that
declares ``properties`` without ``x-kubernetes-preserve-unknown-fields`` gets
``additionalProperties: false`` so a misspelt key is an error. The pod template of a Rollout and
the Job of a ``job`` metric are validated against the upstream Kubernetes schemas shipped by the
``kubernetes-validate`` package (strict variant) instead of the CRD's copy, whose ``volumes``
are left open; without that package they fall back to the CRD's copy and a warning says so.
"""

from __future__ import annotations

import copy
import functools
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from glassbox.manifests._finding import Collector, Finding, LintError, document_label

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator

CRDS_ENV = "GLASSBOX_ROLLOUTS_CRDS"
ROLLOUT_KINDS = ("Rollout", "AnalysisTemplate", "ClusterAnalysisTemplate", "AnalysisRun",
                 "Experiment")  # fmt: skip
_FILES = {
    "Rollout": "rollout-crd.yaml",
    "AnalysisTemplate": "analysis-template-crd.yaml",
    "ClusterAnalysisTemplate": "cluster-analysis-template-crd.yaml",
    "AnalysisRun": "analysis-run-crd.yaml",
    "Experiment": "experiment-crd.yaml",
}
_K8S = "https://kubernetes.io/api/"
_POD_TEMPLATE = _K8S + "podtemplatespec/v1"
_JOB_SPEC = _K8S + "jobspec/batch/v1"
_TYPE_KEY = "x-glassbox-type"


def crd_directory() -> Path:
    configured = os.environ.get(CRDS_ENV, "").strip()
    if configured:
        path = Path(configured).expanduser()
    else:
        path = Path(__file__).resolve().parents[2].parent / "shared" / "argo-rollouts"
    if not (path / _FILES["Rollout"]).is_file():
        raise LintError(
            f"Argo Rollouts CRD schemas not found in {path} (set {CRDS_ENV} to the directory "
            "holding rollout-crd.yaml and analysis-template-crd.yaml of the release)"
        )
    return path


def _k8s_resources() -> dict[str, Any] | None:
    """The strict upstream Kubernetes schemas of kubernetes-validate (latest version)."""
    try:
        import kubernetes_validate.utils as kv
    except ImportError:
        return None
    base = (
        Path(kv.__file__).parent / "kubernetes-json-schema" / f"v{kv.latest_version()}-local-strict"
    )
    files = {"_definitions.json": None, "podtemplatespec-v1.json": None,
             "jobspec-batch-v1.json": None}  # fmt: skip
    return {name: json.loads((base / name).read_text(encoding="utf-8")) for name in files}


def _adjust(schema: Any, strict: bool) -> None:
    if isinstance(schema, list):
        for item in schema:
            _adjust(item, strict)
        return
    if not isinstance(schema, dict):
        return
    if schema.get("x-kubernetes-int-or-string"):
        schema.pop("type", None)
        schema["type"] = ["integer", "string"]
    properties = schema.get("properties")
    if (
        strict
        and isinstance(properties, dict)
        and properties
        and not schema.get("x-kubernetes-preserve-unknown-fields")
    ):
        schema.setdefault("additionalProperties", False)
    for value in schema.values():
        _adjust(value, strict)


def _replace_with_k8s(schema: dict[str, Any], kind: str) -> None:
    spec = schema["properties"]["spec"]["properties"]
    if kind == "Rollout":
        spec["template"] = {"$ref": _POD_TEMPLATE}
    elif kind in ("AnalysisTemplate", "ClusterAnalysisTemplate", "AnalysisRun"):
        provider = spec["metrics"]["items"]["properties"]["provider"]["properties"]
        provider["job"]["properties"]["spec"] = {"$ref": _JOB_SPEC}


@functools.cache
def _validator(kind: str, strict: bool, directory: Path) -> tuple[Draft202012Validator, bool]:
    from jsonschema import Draft202012Validator
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    try:
        crd = yaml.safe_load((directory / _FILES[kind]).read_text(encoding="utf-8"))
        schema = copy.deepcopy(crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"])
    except (OSError, yaml.YAMLError, KeyError, IndexError, TypeError) as exc:
        raise LintError(f"{directory / _FILES[kind]}: not a readable CRD ({exc})") from None
    _adjust(schema, strict)
    schema["properties"]["apiVersion"] = {"const": "argoproj.io/v1alpha1"}
    schema["properties"]["kind"] = {"const": kind}
    schema[_TYPE_KEY] = kind
    schema.setdefault("required", ["apiVersion", "kind", "metadata", "spec"])
    registry: Registry[Any] = Registry()
    upstream = _k8s_resources()
    if upstream is not None:
        _replace_with_k8s(schema, kind)
        for contents in upstream.values():
            registry = Resource.from_contents(contents, DRAFT202012) @ registry
    return Draft202012Validator(schema, registry=registry), upstream is not None


def validate_crd(doc: Mapping[str, Any], *, strict: bool = True, file: str = "") -> list[Finding]:
    """Schema findings of one Argo Rollouts document, each with the JSON path it concerns."""
    from glassbox.manifests._schema import _report

    out = Collector(file, document_label(doc))
    kind = str(doc.get("kind"))
    validator, upstream = _validator(kind, strict, crd_directory())
    for error in validator.iter_errors(dict(doc)):
        _report(error, out)
    if not upstream and kind in ("Rollout", "AnalysisTemplate", "ClusterAnalysisTemplate"):
        out.warning(
            "spec", "pod templates checked against the CRD's copy only: install "
            "kubernetes-validate for the upstream Kubernetes schemas"
        )  # fmt: skip
    return out.findings
