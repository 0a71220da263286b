"""Exceptions raised by the local executor."""

from __future__ import annotations

from typing import TYPE_CHECKING

from glassbox.errors import GlassboxError

if TYPE_CHECKING:
    from glassbox.runner._results import WorkflowResult


class RunnerError(GlassboxError):
    """Base class of the local executor's errors."""


class ManifestError(RunnerError):
    """A manifest cannot be loaded or run: names the file, template, task or field at fault."""


class WorkflowFailed(RunnerError):  # noqa: N818 (the public name: reads as `except WorkflowFailed`)
    """The workflow ran and ended Failed or Error; ``result`` holds every task's outcome."""

    def __init__(self, result: WorkflowResult) -> None:
        super().__init__(result.failure_report())
        self.result = result
