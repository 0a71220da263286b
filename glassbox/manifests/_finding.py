"""What a lint pass reports: :class:`Finding`, the collector building them, the error type."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from glassbox.errors import GlassboxError

Severity = Literal["error", "warning"]

#: The Argo kinds this package lints; any other YAML document is skipped.
ARGO_KINDS = ("Workflow", "WorkflowTemplate", "ClusterWorkflowTemplate", "CronWorkflow")


class LintError(GlassboxError):
    """Linting could not run at all: a path does not exist, or the schema file is unusable."""


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem in one manifest document.

    ``path`` is a JSON path into the document (``spec.templates[3].dag.tasks[2].depends``);
    ``document`` is ``Kind/name`` (``generateName`` for Workflows that have no name).
    """

    file: str
    document: str
    path: str
    message: str
    severity: Severity = "error"

    def __str__(self) -> str:
        where = ": ".join(part for part in (self.file, self.document, self.path) if part)
        prefix = "warning: " if self.severity == "warning" else ""
        return f"{where}: {prefix}{self.message}" if where else f"{prefix}{self.message}"


def document_label(doc: Mapping[str, Any]) -> str:
    """``Kind/name`` of a manifest document, tolerating a missing or malformed ``metadata``."""
    kind = doc.get("kind") if isinstance(doc.get("kind"), str) else "<no kind>"
    meta = doc.get("metadata")
    name = None
    if isinstance(meta, Mapping):
        name = meta.get("name") or meta.get("generateName")
    return f"{kind}/{name if isinstance(name, str) and name else '<unnamed>'}"


def join(path: str, key: str | int) -> str:
    """Extend a JSON path by a mapping key or a list index."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def names(items: Iterable[object]) -> str:
    """A short, sorted, comma-separated list of names for messages (``a, b, c``)."""
    values = sorted({str(item) for item in items})
    if not values:
        return "none"
    shown = ", ".join(values[:12])
    return shown if len(values) <= 12 else f"{shown}, ... ({len(values)} in all)"


@dataclass
class Collector:
    """Accumulates findings for one document of one file."""

    file: str
    document: str
    findings: list[Finding] = field(default_factory=list)

    def error(self, path: str, message: str) -> None:
        self.findings.append(Finding(self.file, self.document, path, message, "error"))

    def warning(self, path: str, message: str) -> None:
        self.findings.append(Finding(self.file, self.document, path, message, "warning"))
