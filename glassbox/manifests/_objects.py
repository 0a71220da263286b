"""One Kubernetes object validated strictly against the schema of its kind.

- Argo Workflows kinds (Workflow, WorkflowTemplate, ClusterWorkflowTemplate, CronWorkflow): the
  Argo Workflows JSON schema (:mod:`glassbox.manifests._schema`);
- built-in kinds (Deployment, Service, NetworkPolicy, HorizontalPodAutoscaler...): the upstream
  Kubernetes schemas of the target release, shipped by kubernetes-validate (:mod:`._kube`);
- custom resources (Rollout, AnalysisTemplate, ServiceMonitor, PrometheusRule...): their CRDs'
  OpenAPI v3 schemas, made strict (:mod:`._crd`).

Always strict, as ``kubectl apply`` is (``--validate=strict``): an unknown field is an error,
not something the API server drops silently. Beyond the schema, the object metadata is checked
as the API server's validation does: a name, valid names and namespace, valid label keys and
values, valid annotation keys. A kind no schema describes is an error, never a silent pass.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from typing import Any

from glassbox.manifests._crd import crd_index, crd_sources, crd_validator
from glassbox.manifests._finding import ARGO_KINDS, Collector, Finding, document_label, join
from glassbox.manifests._jsonschema import report
from glassbox.manifests._kube import kube_kinds, kube_validator, resolve_version
from glassbox.manifests._schema import validate_schema

_LABEL = r"[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?"
_DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
_DNS_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
_LABEL_VALUE = re.compile(f"({_LABEL})?")
_QUALIFIED_NAME = re.compile(_LABEL)
#: Kinds whose names must be DNS labels (RFC 1123, at most 63 characters): they become DNS
#: names or label values.
_LABEL_NAMED = {"Namespace", "Service", "StatefulSet"}


def validate_k8s_object(
    obj: object, *, file: str = "", kubernetes_version: str | None = None
) -> list[Finding]:
    """Every schema and metadata problem of one Kubernetes object, each with its JSON path.

    ``kubernetes_version`` (``"1.30"``) picks the Kubernetes release whose schemas built-in
    kinds, and the Kubernetes types embedded in custom resources, are checked against; default
    :data:`~glassbox.manifests._kube.DEFAULT_KUBERNETES_VERSION`, the oldest release Glassbox
    supports. Raises :class:`LintError` when the schemas cannot be loaded at all.
    """
    if not isinstance(obj, Mapping):
        return [Finding(file, "<document>", "", "a manifest must be a mapping")]
    out = Collector(file, document_label(obj))
    api_version, kind = obj.get("apiVersion"), obj.get("kind")
    for field, value in (("apiVersion", api_version), ("kind", kind)):
        if not isinstance(value, str) or not value:
            out.error(field, f"missing required field '{field}'")
    if out.findings:
        return out.findings
    if kind in ARGO_KINDS:
        return validate_schema(obj, file=file)
    version = resolve_version(kubernetes_version)
    validator = kube_validator(version, str(api_version), str(kind))
    if validator is None:
        validator = crd_validator(version, str(api_version), str(kind), crd_sources())
    if validator is None:
        out.error("kind", _unknown_kind(str(api_version), str(kind), version))
        return out.findings
    for error in validator.iter_errors(obj):
        report(error, out)
    check_metadata(obj, str(kind), out)
    return out.findings


def check_metadata(obj: Mapping[str, Any], kind: str, out: Collector) -> None:
    """Names, namespace, labels and annotation keys, as the API server validates them."""
    meta = obj.get("metadata")
    if not isinstance(meta, Mapping):
        if meta is None:
            out.error("metadata", "missing required field 'metadata' (an object needs a name)")
        return
    name = meta.get("name")
    if not name and not meta.get("generateName"):
        out.error("metadata", "missing required field 'name'")
    if isinstance(name, str) and name:
        _check_name(name, kind, "metadata.name", out)
    namespace = meta.get("namespace")
    if isinstance(namespace, str) and not _is_dns_label(namespace):
        out.error("metadata.namespace", f"'{namespace}' is not a valid namespace ({_DNS_RULE})")
    _check_labels(meta, "metadata", out)
    spec = obj.get("spec")
    template = spec.get("template") if isinstance(spec, Mapping) else None
    if isinstance(template, Mapping) and isinstance(template.get("metadata"), Mapping):
        _check_labels(template["metadata"], "spec.template.metadata", out)


_DNS_RULE = "lower-case letters, digits and '-', starting and ending with a letter or digit"


def _is_dns_label(value: str) -> bool:
    return len(value) <= 63 and bool(_DNS_LABEL.fullmatch(value))


def _check_name(name: str, kind: str, path: str, out: Collector) -> None:
    if kind in _LABEL_NAMED:
        if not _is_dns_label(name):
            out.error(path, f"'{name}' is not a valid {kind} name (at most 63 {_DNS_RULE})")
        elif kind == "Service" and not name[0].isalpha():
            out.error(path, f"'{name}' is not a valid Service name (it must start with a letter)")
    elif len(name) > 253 or not _DNS_SUBDOMAIN.fullmatch(name):
        out.error(path, f"'{name}' is not a valid name (at most 253 {_DNS_RULE}, or '.')")


def _check_labels(meta: Mapping[str, Any], path: str, out: Collector) -> None:
    for field in ("labels", "annotations"):
        values = meta.get(field)
        if not isinstance(values, Mapping):
            continue
        for key, value in values.items():
            where = join(join(path, field), str(key))
            problem = _key_problem(str(key))
            if problem:
                out.error(where, f"invalid {field[:-1]} key '{key}': {problem}")
            if field == "labels" and isinstance(value, str) and not _is_label_value(value):
                out.error(
                    where,
                    f"invalid label value '{value}': at most 63 letters, digits, '-', '_' "
                    "or '.', starting and ending with a letter or digit",
                )


def _is_label_value(value: str) -> bool:
    return len(value) <= 63 and bool(_LABEL_VALUE.fullmatch(value))


def _key_problem(key: str) -> str | None:
    prefix, slash, name = key.rpartition("/")
    if slash and (not prefix or len(prefix) > 253 or not _DNS_SUBDOMAIN.fullmatch(prefix)):
        return f"the prefix '{prefix}' must be a DNS subdomain ({_DNS_RULE}, or '.')"
    if not name or len(name) > 63 or not _QUALIFIED_NAME.fullmatch(name):
        return (
            "the name part must be at most 63 letters, digits, '-', '_' or '.', starting and "
            "ending with a letter or digit"
        )
    return None


def _unknown_kind(api_version: str, kind: str, version: str) -> str:
    group = _group(api_version)
    served: dict[str, list[str]] = {k: list(v) for k, v in kube_kinds(version).items()}
    for crd_api, crd_kind in crd_index(crd_sources()):
        served.setdefault(crd_kind, []).append(crd_api)
    for argo_kind in ARGO_KINDS:
        served.setdefault(argo_kind, []).append("argoproj.io/v1alpha1")
    if kind in served:
        apis = ", ".join(sorted(set(served[kind])))
        return f"{kind} is not served as '{api_version}' (expected apiVersion {apis})"
    same_group = sorted(k for k, apis in served.items() if any(_group(a) == group for a in apis))
    close = difflib.get_close_matches(kind, same_group or sorted(served), n=1, cutoff=0.8)
    if close:
        return f"unknown kind '{kind}' (did you mean '{close[0]}'?)"
    return (
        f"no schema for {api_version} {kind}: not a Kubernetes {version} kind, and no CRD "
        "among the loaded ones defines it (add its CRD to GLASSBOX_CRD_PATH)"
    )


def _group(api_version: str) -> str:
    return api_version.rpartition("/")[0] if "/" in api_version else ""
