"""Progress lines: one per task start, retry and finish. Plain text when not on a terminal."""

from __future__ import annotations

import threading
from pathlib import Path

from rich.console import Console
from rich.text import Text

from glassbox.runner._results import TaskResult, TaskStatus, WorkflowResult

__all__ = ["Display"]

_STYLE = {
    TaskStatus.SUCCEEDED: ("done", "green"),
    TaskStatus.FAILED: ("FAIL", "bold red"),
    TaskStatus.ERROR: ("ERROR", "bold red"),
    TaskStatus.SKIPPED: ("skip", "yellow"),
    TaskStatus.OMITTED: ("omit", "yellow"),
}


class Display:
    """Writes progress to a rich ``Console`` (stderr by default); safe to call from threads."""

    def __init__(self, console: Console | None = None) -> None:
        self.console = console if console is not None else Console(stderr=True, highlight=False)
        self._lock = threading.Lock()

    def _line(self, tag: str, style: str, name: str, detail: str = "") -> None:
        text = Text()
        text.append(f"{tag:<5} ", style=style)
        text.append(name, style="bold")
        if detail:
            text.append(f"  {detail}")
        with self._lock:
            self.console.print(text, soft_wrap=True, highlight=False)

    def workflow_started(self, name: str, uid: str, source: str, run_dir: Path) -> None:
        self._line("run", "cyan", name, f"uid {uid} · from {source} · run dir {run_dir}")

    def task_started(self, name: str, pod_name: str | None, retry: int) -> None:
        detail = f"retry {retry}" if retry else ""
        if pod_name:
            detail = f"{detail} · pod {pod_name}" if detail else f"pod {pod_name}"
        self._line("start", "cyan", name, detail)

    def task_retrying(self, name: str, status: TaskStatus, message: str, wait: float) -> None:
        self._line("retry", "yellow", name, f"{status.value}: {message}; retrying in {wait:.2f}s")

    def task_finished(self, result: TaskResult) -> None:
        tag, style = _STYLE[result.status]
        detail = [result.status.value]
        if result.status in (TaskStatus.SUCCEEDED, TaskStatus.FAILED, TaskStatus.ERROR):
            detail.append(f"{result.duration_seconds:.2f}s")
        if len(result.attempts) > 1:
            detail.append(f"{len(result.attempts)} attempts")
        if result.items:
            done = sum(item.status is TaskStatus.SUCCEEDED for item in result.items)
            detail.append(f"{done}/{len(result.items)} items succeeded")
        if result.message:
            detail.append(result.message)
        if result.failed and result.log_path is not None:
            detail.append(f"log {result.log_path}")
        self._line(tag, style, result.name, " · ".join(detail))

    def workflow_finished(self, result: WorkflowResult) -> None:
        style = "bold green" if result.succeeded else "bold red"
        detail = f"{result.status.value} in {result.duration_seconds:.2f}s"
        if result.message:
            detail += f" · {result.message}"
        self._line("end", style, result.name, detail)
