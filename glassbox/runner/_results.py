"""Typed outcome of a local run: one ``TaskResult`` per task, one ``WorkflowResult`` per run."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, JsonValue, computed_field, model_validator

__all__ = ["AttemptResult", "TaskResult", "TaskStatus", "WorkflowResult", "WorkflowStatus"]


class TaskStatus(StrEnum):
    """Argo node phases a finished task can have."""

    SUCCEEDED = "Succeeded"
    FAILED = "Failed"  # the command exited non-zero or ran past its deadline
    ERROR = "Error"  # the task could not run or finish as declared (bad reference, no output)
    SKIPPED = "Skipped"  # its ``when`` was false (or ``withParam`` was an empty list)
    OMITTED = "Omitted"  # its ``depends`` was false, e.g. an upstream task failed


class WorkflowStatus(StrEnum):
    SUCCEEDED = "Succeeded"
    FAILED = "Failed"
    ERROR = "Error"


def _seconds(started: datetime | None, finished: datetime | None) -> float:
    if started is None or finished is None:
        return 0.0
    return round((finished - started).total_seconds(), 3)


class _Record(BaseModel):
    """Frozen, strict; ``duration_seconds`` is written out but derived again when read back."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _drop_derived(cls, data: Any) -> Any:
        if isinstance(data, dict) and "duration_seconds" in data:
            data = {k: v for k, v in data.items() if k != "duration_seconds"}
        return data


class AttemptResult(_Record):
    """One execution of a container (one pod, in Argo terms)."""

    retry: int  # the value of {{retries}} for this attempt
    status: TaskStatus
    exit_code: int | None
    message: str
    pod_name: str
    started_at: datetime
    finished_at: datetime

    @computed_field  # type: ignore[prop-decorator]
    @property
    def duration_seconds(self) -> float:
        return _seconds(self.started_at, self.finished_at)


class TaskResult(_Record):
    """A DAG task's outcome; a fanned-out task holds one result per item in ``items``."""

    name: str  # path from the workflow's root DAG, e.g. "map(0:2024-01-01)" or "outer.inner"
    task: str
    template: str
    status: TaskStatus
    message: str = ""
    exit_code: int | None = None
    outputs: dict[str, str] = {}
    result: str | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    log_path: Path | None = None
    log_tail: tuple[str, ...] = ()
    pod_name: str | None = None
    attempts: tuple[AttemptResult, ...] = ()
    item: JsonValue = None
    item_index: int | None = None
    items: tuple[TaskResult, ...] = ()

    @computed_field  # type: ignore[prop-decorator]
    @property
    def duration_seconds(self) -> float:
        return _seconds(self.started_at, self.finished_at)

    @property
    def failed(self) -> bool:
        return self.status in (TaskStatus.FAILED, TaskStatus.ERROR)

    def failures(self) -> list[TaskResult]:
        """This task if it failed at its own level, else its failed items."""
        failed_items = [item for item in self.items if item.failed]
        if failed_items:
            return failed_items
        return [self] if self.failed else []

    def describe_failure(self, tail: int = 20) -> str:
        """Multi-line account: what failed, exit code, attempts, log path, last log lines."""
        head = f"task {self.name!r} {self.status.value}"
        if self.message:
            head += f": {self.message}"
        if len(self.attempts) > 1:
            head += f" (after {len(self.attempts)} attempts)"
        lines = [head]
        if self.log_path is not None:
            lines.append(f"  log: {self.log_path}")
        shown = self.log_tail[-tail:] if tail else ()
        if shown:
            lines.append(f"  last {len(shown)} log lines:")
            lines.extend(f"    | {line}" for line in shown)
        return "\n".join(lines)


class WorkflowResult(_Record):
    """The outcome of one workflow run, with every task's result keyed by its path."""

    name: str
    uid: str
    namespace: str
    source: str
    entrypoint: str
    status: WorkflowStatus
    message: str = ""
    started_at: datetime
    finished_at: datetime
    run_dir: Path
    parameters: dict[str, str]
    tasks: dict[str, TaskResult]
    exit_handler: TaskResult | None = None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def duration_seconds(self) -> float:
        return _seconds(self.started_at, self.finished_at)

    @property
    def succeeded(self) -> bool:
        return self.status is WorkflowStatus.SUCCEEDED

    def task(self, name: str) -> TaskResult:
        """The result of the task at ``name`` (a DAG task name or a nested ``outer.inner`` path)."""
        try:
            return self.tasks[name]
        except KeyError:
            known = ", ".join(self.tasks) or "none"
            raise KeyError(f"no task {name!r} in workflow {self.name} (tasks: {known})") from None

    def failed_tasks(self) -> list[TaskResult]:
        """Failed/Errored tasks (fan-out items individually), exit handler last.

        A nested DAG task that failed because tasks inside it failed is left out: those
        inner tasks (``outer.inner``) are listed instead.
        """
        found = [f for result in self.tasks.values() for f in result.failures()]
        if self.exit_handler is not None:
            found.extend(self.exit_handler.failures())
        names = [f.name for f in found]

        def has_inner_failures(result: TaskResult) -> bool:
            prefixes = (f"{result.name}.", f"{result.name}(")
            return not result.attempts and any(n.startswith(prefixes) for n in names)

        return [f for f in found if not has_inner_failures(f)]

    def failure_report(self, tail: int = 20) -> str:
        """A message naming the workflow, each failed task, its exit code, log and last lines."""
        head = f"workflow {self.name} {self.status.value}"
        if self.message:
            head += f": {self.message}"
        parts = [head]
        parts.extend(failure.describe_failure(tail) for failure in self.failed_tasks())
        return "\n".join(parts)
