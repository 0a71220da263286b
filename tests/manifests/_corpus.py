"""The lint corpus: good manifests (plus the compiled k8s/workflows/ once present) and broken ones.

Each broken file carries its expectation in its leading comment::

    # lint-path: spec.templates[0].retryStrategyy
    # lint-message: unknown field 'retryStrategyy'
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "tests" / "data" / "manifests"
#: Sets of good manifests, each linted as one universe (references resolve within a set): the
#: hand-written corpus, and the project's compiled manifests once ``glassbox compile`` wrote them.
GOOD_SETS = [
    files
    for files in (
        sorted((DATA / "good").glob("*.yaml")),
        sorted((REPO / "k8s" / "workflows").glob("*.yaml")),
    )
    if files
]
GOOD = [file for files in GOOD_SETS for file in files]
BROKEN = sorted((DATA / "broken").glob("*.yaml"))
ARGO_KINDS = {"Workflow", "WorkflowTemplate", "ClusterWorkflowTemplate", "CronWorkflow"}


@dataclass(frozen=True)
class Expectation:
    path: str
    message: str


def expectation(file: Path) -> Expectation:
    """The finding a broken file declares in its leading comment block."""
    header: dict[str, str] = {}
    for line in file.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        match = re.match(r"#\s*lint-(path|message):(.*)$", line)
        if match:
            header[match[1]] = match[2].strip()
    if set(header) != {"path", "message"}:
        raise AssertionError(f"{file}: leading comment lacks '# lint-path:' or '# lint-message:'")
    return Expectation(header["path"], header["message"])


def assert_reports_exactly_its_defect(file: Path, findings: list[Any]) -> None:
    """``findings`` (of linting ``file`` alone) are the one error its header declares."""
    expected = expectation(file)
    assert len(findings) == 1, "\n".join(map(str, findings)) or "no finding"
    (finding,) = findings
    assert finding.path == expected.path, str(finding)
    assert expected.message in finding.message, str(finding)
    assert finding.severity == "error"
    assert finding.file == str(file)


def argo_documents(file: Path) -> list[dict[str, Any]]:
    """The Argo documents of a (multi-document) YAML file."""
    docs = yaml.safe_load_all(file.read_text(encoding="utf-8"))
    return [d for d in docs if isinstance(d, dict) and d.get("kind") in ARGO_KINDS]


def doc(text: str) -> dict[str, Any]:
    """One manifest from an indented YAML literal."""
    loaded = yaml.safe_load(textwrap.dedent(text))
    assert isinstance(loaded, dict)
    return loaded


def workflow(templates: str, *, extra: str = "", kind: str = "Workflow") -> dict[str, Any]:
    """A minimal manifest around the given ``templates:`` block (YAML, 4-space indented items)."""
    meta = "generateName: test-" if kind == "Workflow" else "name: test"
    return doc(
        f"apiVersion: argoproj.io/v1alpha1\nkind: {kind}\nmetadata:\n  {meta}\n"
        f"spec:\n  entrypoint: main\n{textwrap.indent(textwrap.dedent(extra), '  ')}"
        f"  templates:\n{textwrap.indent(textwrap.dedent(templates), '    ')}"
    )
