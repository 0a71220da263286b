"""State shared by every task of one workflow run."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from glassbox.runner._display import Display
    from glassbox.runner._process import ProcessRegistry
    from glassbox.runner._results import TaskResult
    from glassbox.runner._templates import TemplateResolver

__all__ = ["ResourceHandler", "RunContext", "file_key", "pod_name"]

ResourceHandler = Callable[[Mapping[str, Any], Mapping[str, str]], Mapping[str, str]]

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def fnv32a(text: str) -> int:
    """32-bit FNV-1a, the hash Argo puts at the end of pod names."""
    value = 0x811C9DC5
    for byte in text.encode("utf-8"):
        value = ((value ^ byte) * 0x01000193) & 0xFFFFFFFF
    return value


def pod_name(workflow_name: str, node_name: str, template_name: str) -> str:
    """Argo's v2 pod name: ``<workflow>-<template>-<fnv32a(node name)>``."""
    if node_name == workflow_name:
        return workflow_name
    prefix = f"{workflow_name}-{template_name}" if template_name else workflow_name
    return f"{prefix[:242]}-{fnv32a(node_name)}"


def file_key(text: str) -> str:
    """A string safe to use as a file name."""
    return _UNSAFE.sub("_", text).strip("._") or "task"


@dataclass
class RunContext:
    """Everything a task needs besides its own template: identity, paths, limits, hooks."""

    workflow_name: str
    global_scope: dict[str, str]
    resolver: TemplateResolver
    run_dir: Path
    workdir: Path
    extra_env: Mapping[str, str]
    backoff_scale: float
    resource_handler: ResourceHandler
    display: Display
    slots: threading.Semaphore
    processes: ProcessRegistry
    namespace: str
    service_account: str
    deadline: float | None = None  # time.monotonic() value from spec.activeDeadlineSeconds
    tail_lines: int = 20
    cancel: threading.Event = field(default_factory=threading.Event)
    _records: dict[str, TaskResult] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def log_path(self, key: str) -> Path:
        return self.run_dir / "logs" / f"{key}.log"

    def sandbox(self, key: str) -> Path:
        return self.run_dir / "sandbox" / key

    def pod_name(self, node_name: str, template_name: str) -> str:
        return pod_name(self.workflow_name, node_name, template_name)

    def remaining(self) -> float | None:
        """Seconds left before the workflow's activeDeadlineSeconds, if it has one."""
        return None if self.deadline is None else self.deadline - time.monotonic()

    def record(self, result: TaskResult) -> None:
        with self._lock:
            self._records[result.name] = result

    def records(self) -> dict[str, TaskResult]:
        with self._lock:
            return dict(self._records)
