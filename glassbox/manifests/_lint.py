"""Lint manifest files: load multi-document YAML, validate every object, resolve across files.

Argo documents get the Argo schema and the controller's semantic rules; every other Kubernetes
object is validated strictly against its kind's schema (:func:`validate_k8s_object`).
``argo lint`` needs a cluster (or the Argo CLI) to resolve ``workflowTemplateRef``s; here the
documents linted together are the universe: a Workflow or CronWorkflow that refers to a
WorkflowTemplate must find it among them.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from glassbox.manifests._finding import ARGO_KINDS, Finding, LintError, document_label
from glassbox.manifests._objects import validate_k8s_object
from glassbox.manifests._rollouts import lint_rollouts
from glassbox.manifests._schema import validate_schema
from glassbox.manifests._semantic import lint_document

_SUFFIXES = (".yaml", ".yml")
_TEMPLATE_KINDS = ("WorkflowTemplate", "ClusterWorkflowTemplate")
#: kustomize's own files (Kustomization, Component) are build instructions, not API objects.
_KUSTOMIZE_API = "kustomize.config.k8s.io/"


if TYPE_CHECKING:
    _SafeLoader = yaml.SafeLoader
else:  # libyaml's parser when PyYAML was built with it (about 10x faster), else pure Python
    _SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_SafeLoader):
    """Safe YAML as the API server reads it: no timestamp objects, duplicate keys rejected."""

    yaml_implicit_resolvers = {  # noqa: RUF012  (class-level table PyYAML reads)
        first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[object] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if not isinstance(key, str | int | float | bool):
                continue  # complex keys are left to the constructor
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def lint_paths(
    paths: Iterable[str | os.PathLike[str]],
    *,
    strict: bool = True,
    kubernetes_version: str | None = None,
) -> list[Finding]:
    """Schema and semantic findings for every Kubernetes object in the given files and directories.

    Directories are searched recursively for ``*.yaml`` / ``*.yml`` (hidden directories are
    skipped). A document with an ``apiVersion`` or a ``kind`` is an object to validate;
    mappings with neither (Prometheus rule files, promtool tests) and kustomize's own files are
    skipped. All documents are linted as one set, so references between files resolve. A path
    that does not exist raises :class:`LintError`; unparsable YAML is reported as a finding.
    """
    findings: list[Finding] = []
    documents: list[tuple[str, object]] = []
    files = _expand(paths)
    for file in files:
        try:
            loaded = list(yaml.load_all(file.read_text(encoding="utf-8"), Loader=_Loader))
        except yaml.YAMLError as exc:
            findings.append(Finding(str(file), "<file>", "", f"invalid YAML: {_yaml_problem(exc)}"))
            continue
        except (OSError, UnicodeDecodeError) as exc:
            raise LintError(f"{file}: cannot read ({exc})") from exc
        documents.extend((str(file), doc) for doc in loaded if _is_object(doc))
    findings.extend(lint_documents(documents, strict=strict, kubernetes_version=kubernetes_version))
    order = {str(file): index for index, file in enumerate(files)}
    return sorted(findings, key=lambda finding: order.get(finding.file, len(order)))


def lint_documents(
    documents: Iterable[tuple[str, object]],
    *,
    strict: bool = True,
    kubernetes_version: str | None = None,
) -> list[Finding]:
    """Lint already-loaded ``(file, document)`` pairs as one set (schema, semantics, references).

    ``strict`` concerns the Argo schema (which does not close its objects by itself);
    Kubernetes objects and custom resources are always validated strictly, against the
    ``kubernetes_version`` release (see :func:`validate_k8s_object`).
    """
    docs = list(documents)
    catalog: dict[tuple[str, str], Mapping[str, Any]] = {}
    findings: list[Finding] = []
    origin: dict[tuple[str, str], str] = {}
    for file, doc in docs:
        key = _catalog_key(doc)
        if key is None:
            continue
        if key in origin and isinstance(doc, Mapping):
            findings.append(
                Finding(
                    file,
                    document_label(doc),
                    "metadata.name",
                    f"{key[0]} '{key[1]}' is defined twice (also in {origin[key]})",
                )
            )
            continue
        origin[key] = file or "<document>"
        if key[0] in _TEMPLATE_KINDS and isinstance(doc, Mapping):
            catalog[key] = doc
    for file, doc in docs:
        if _is_argo(doc):
            findings.extend(validate_schema(doc, strict=strict, file=file))
            findings.extend(lint_document(doc, file=file, catalog=catalog))
        else:
            findings.extend(
                validate_k8s_object(doc, file=file, kubernetes_version=kubernetes_version)
            )
    findings.extend(lint_rollouts(docs))  # what the Argo Rollouts controller checks
    return findings


def _catalog_key(doc: object) -> tuple[str, str] | None:
    if not isinstance(doc, Mapping) or not isinstance(doc.get("metadata"), Mapping):
        return None
    name = doc["metadata"].get("name")
    return (str(doc.get("kind")), name) if isinstance(name, str) and name else None


def _expand(paths: Iterable[str | os.PathLike[str]]) -> list[Path]:
    files: list[Path] = []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            files.extend(
                sorted(
                    p
                    for p in path.rglob("*")
                    if p.suffix in _SUFFIXES
                    and p.is_file()
                    and not any(part.startswith(".") for part in p.relative_to(path).parts)
                )
            )
        elif path.is_file():
            files.append(path)
        else:
            raise LintError(
                f"{path}: no such file or directory (expected a YAML file or a directory)"
            )
    return files


def _is_argo(doc: object) -> bool:
    return isinstance(doc, Mapping) and doc.get("kind") in ARGO_KINDS


def _is_object(doc: object) -> bool:
    if not isinstance(doc, Mapping) or not ("kind" in doc or "apiVersion" in doc):
        return False
    kustomize = str(doc.get("apiVersion", "")).startswith(_KUSTOMIZE_API)
    return not kustomize and doc.get("kind") not in ("Kustomization", "Component")


def _yaml_problem(exc: yaml.YAMLError) -> str:
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    mark = getattr(exc, "problem_mark", None)
    return f"{problem} at line {mark.line + 1}, column {mark.column + 1}" if mark else str(problem)
