"""Run a manifest from tests/data/manifests/runner in a temporary workdir, console captured."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from rich.console import Console

from glassbox.runner import WorkflowResult, run_workflow

MANIFESTS = Path(__file__).parents[1] / "data" / "manifests" / "runner"


class Runner:
    """Calls ``run_workflow`` with a temporary workdir, tiny backoff and a captured console."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.stream = io.StringIO()

    @property
    def output(self) -> str:
        return self.stream.getvalue()

    def __call__(
        self, manifest: str | Path, name: str | None = None, **kwargs: Any
    ) -> WorkflowResult:
        kwargs.setdefault("workdir", self.workdir)
        kwargs.setdefault("backoff_scale", 0.001)
        kwargs.setdefault("console", Console(file=self.stream, force_terminal=False, width=200))
        return run_workflow(MANIFESTS / manifest, name, **kwargs)


def python_step(name: str, code: str, *args: str, **template: Any) -> dict[str, Any]:
    """A container template running ``python -c code args...``."""
    return {
        "name": name,
        "container": {"image": "python:3.11-slim", "command": ["python", "-c", code, *args]},
        **template,
    }


def workflow(templates: list[dict[str, Any]], **spec: Any) -> dict[str, Any]:
    """A Workflow document named ``inline`` whose entrypoint is the first template."""
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Workflow",
        "metadata": {"name": "inline"},
        "spec": {"entrypoint": templates[0]["name"], "templates": templates, **spec},
    }
