"""Lint manifest files: load multi-document YAML, validate each Argo document, resolve across files.

``argo lint`` needs a cluster (or the Argo CLI) to resolve ``workflowTemplateRef``s; here the
documents linted together are the universe: a Workflow or CronWorkflow that refers to a
WorkflowTemplate must find it among them.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from glassbox.manifests._crd_schema import ROLLOUT_KINDS
from glassbox.manifests._finding import ARGO_KINDS, Finding, LintError, document_label
from glassbox.manifests._rollouts import is_rollouts_document, lint_rollouts
from glassbox.manifests._schema import validate_schema
from glassbox.manifests._semantic import lint_document

_SUFFIXES = (".yaml", ".yml")
_TEMPLATE_KINDS = ("WorkflowTemplate", "ClusterWorkflowTemplate")


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


def lint_paths(paths: Iterable[str | os.PathLike[str]], *, strict: bool = True) -> list[Finding]:
    """Schema and semantic findings for every Argo document in the given files and directories.

    Directories are searched recursively for ``*.yaml`` / ``*.yml`` (hidden directories are
    skipped); documents of other kinds (ConfigMaps, kustomizations...) are ignored. All
    documents are linted as one set, so references between files resolve. A path that does
    not exist raises :class:`LintError`; unparsable YAML is reported as a finding.
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
        for doc in loaded:
            if _is_argo(doc):
                documents.append((str(file), doc))
            elif (hint := _misspelt_kind(doc)) is not None:
                findings.append(Finding(str(file), document_label(doc), "kind", hint))
    findings.extend(lint_documents(documents, strict=strict))
    order = {str(file): index for index, file in enumerate(files)}
    return sorted(findings, key=lambda finding: order.get(finding.file, len(order)))


def lint_documents(
    documents: Iterable[tuple[str, object]], *, strict: bool = True
) -> list[Finding]:
    """Lint already-loaded ``(file, document)`` pairs as one set (schema, semantics, references)."""
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
        if is_rollouts_document(doc):
            continue
        findings.extend(validate_schema(doc, strict=strict, file=file))
        findings.extend(lint_document(doc, file=file, catalog=catalog))
    rollouts = [(file, doc) for file, doc in docs if is_rollouts_document(doc)]
    findings.extend(lint_rollouts(rollouts, strict=strict))
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
    return isinstance(doc, Mapping) and doc.get("kind") in (*ARGO_KINDS, *ROLLOUT_KINDS)


def _misspelt_kind(doc: object) -> str | None:
    if not isinstance(doc, Mapping) or not str(doc.get("apiVersion", "")).startswith("argoproj.io"):
        return None
    kind = str(doc.get("kind"))
    close = difflib.get_close_matches(kind, (*ARGO_KINDS, *ROLLOUT_KINDS), n=1, cutoff=0.8)
    return f"unknown kind '{kind}' (did you mean '{close[0]}'?)" if close else None


def _yaml_problem(exc: yaml.YAMLError) -> str:
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    mark = getattr(exc, "problem_mark", None)
    return f"{problem} at line {mark.line + 1}, column {mark.column + 1}" if mark else str(problem)
