"""Run a container template's command locally, with Argo's retries and output parameters."""

from __future__ import annotations

import shutil
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

from glassbox.runner._context import RunContext
from glassbox.runner._environment import build_env
from glassbox.runner._errors import RunnerError
from glassbox.runner._process import ProcessOutcome, run_process
from glassbox.runner._results import AttemptResult, TaskResult, TaskStatus
from glassbox.runner._retry import RetryPlan, parse_duration
from glassbox.runner._scope import template_scope
from glassbox.runner._substitution import param_string, render, render_deep
from glassbox.runner._units import Unit, acquire_slot

__all__ = ["reroot", "run_container"]


def reroot(sandbox: Path, path: str, where: str) -> Path:
    """A pod path (``/tmp/outputs/x``) under the task's sandbox directory."""
    parts = PurePosixPath(path).parts
    relative = [p for p in parts if p not in ("/", "")]
    if ".." in relative or not relative:
        raise RunnerError(f"{where}: output path {path!r} must stay inside the container")
    return sandbox.joinpath(*relative)


@dataclass
class _Attempt:
    record: AttemptResult
    outputs: dict[str, str] = field(default_factory=dict)
    stdout: str | None = None
    tail: tuple[str, ...] = ()


def _now() -> datetime:
    return datetime.now(UTC)


def _read_outputs(rendered: Mapping[str, Any], sandbox: Path, where: str) -> dict[str, str]:
    outputs: dict[str, str] = {}
    for param in (rendered.get("outputs") or {}).get("parameters") or []:
        name = str(param.get("name"))
        value_from = param.get("valueFrom")
        if value_from is None:
            outputs[name] = param_string(param.get("value"))
            continue
        path = str(value_from["path"])
        local = reroot(sandbox, path, where)
        if local.is_file():
            text = local.read_text(encoding="utf-8", errors="replace")
            outputs[name] = text[:-1] if text.endswith("\n") else text
        elif value_from.get("default") is not None:
            outputs[name] = param_string(value_from["default"])
        else:
            raise RunnerError(
                f"output parameter {name!r} was not written: expected file {path} "
                f"(locally {local}) and the parameter declares no valueFrom.default"
            )
    return outputs


def _limits(
    ctx: RunContext, rendered: Mapping[str, Any], plan_deadline: float | None, where: str
) -> tuple[float | None, str]:
    """(timeout in seconds or None, the message used when it expires)."""
    limits: list[tuple[float, str]] = []
    deadline = rendered.get("activeDeadlineSeconds")
    if deadline not in (None, ""):
        seconds = parse_duration(deadline, f"{where}: activeDeadlineSeconds")
        limits.append((seconds, f"exceeded activeDeadlineSeconds ({deadline})"))
    remaining = ctx.remaining()
    if remaining is not None:
        limits.append((remaining, "exceeded the workflow's activeDeadlineSeconds"))
    if plan_deadline is not None:
        limits.append(
            (plan_deadline - time.monotonic(), "exceeded retryStrategy.backoff.maxDuration")
        )
    if not limits:
        return None, ""
    seconds, message = min(limits)
    return seconds, message


class _ContainerRun:
    """The attempts of one unit: render, run, read outputs, decide on a retry."""

    def __init__(self, ctx: RunContext, unit: Unit) -> None:
        self.ctx = ctx
        self.unit = unit
        self.where = f"task {unit.name!r}"
        self.sandbox = ctx.sandbox(unit.key)
        self.has_retry = unit.template.get("retryStrategy") is not None
        self.base = template_scope(ctx.global_scope, unit.inputs)
        self.base.update({"node.name": unit.node_name, "tasks.name": unit.task})
        self.attempts: list[_Attempt] = []
        self.plan: RetryPlan | None = None
        self.first_start = time.monotonic()

    def run(self) -> TaskResult:
        note = ""
        while True:
            retry = len(self.attempts)
            node = f"{self.unit.node_name}({retry})" if self.has_retry else self.unit.node_name
            pod = self.ctx.pod_name(node, self.unit.template_name)
            try:
                rendered = render_deep(self.unit.template, self._scope(retry, pod))
                if self.has_retry and self.plan is None:
                    self.plan = RetryPlan.parse(rendered["retryStrategy"], self.where)
            except RunnerError as exc:
                return self._result(TaskStatus.ERROR, str(exc), pod)
            self.attempts.append(self._attempt(rendered, pod, retry))
            wait, note = self._retry_wait()
            if wait is None:
                break
            record = self.attempts[-1].record
            self.ctx.display.task_retrying(self.unit.name, record.status, record.message, wait)
            if self.ctx.cancel.wait(wait):
                break
        last = self.attempts[-1].record
        message = last.message + (f"; {note}" if note else "")
        return self._result(last.status, message, last.pod_name)

    def _scope(self, retry: int, pod: str) -> dict[str, str]:
        scope = {**self.base, "pod.name": pod}
        if self.has_retry:
            last = self.attempts[-1].record if self.attempts else None
            code = last.exit_code if last is not None and last.exit_code is not None else 0
            scope.update(
                {
                    "retries": str(retry),
                    "lastRetry.exitCode": str(code),
                    "lastRetry.status": last.status.value if last else "",
                    "lastRetry.duration": str(last.duration_seconds if last else 0),
                    "lastRetry.message": last.message if last else "",
                }
            )
        for param in (self.unit.template.get("outputs") or {}).get("parameters") or []:
            path = (param.get("valueFrom") or {}).get("path")
            if path:
                local = reroot(self.sandbox, render(str(path), scope), self.where)
                scope[f"outputs.parameters.{param.get('name')}.path"] = str(local)
        return scope

    def _retry_wait(self) -> tuple[float | None, str]:
        """Seconds to wait before retrying, or None to stop (with a note on why, if unusual)."""
        status = self.attempts[-1].record.status
        plan = self.plan
        if status is TaskStatus.SUCCEEDED or plan is None or self.ctx.cancel.is_set():
            return None, ""
        if not plan.retries_phase(status.value) or not plan.has_retry_left(len(self.attempts)):
            return None, ""
        last = self.attempts[-1].record
        if not plan.expression_allows(last.exit_code, status.value, last.duration_seconds):
            return None, "retryStrategy.expression does not allow a retry"
        wait = plan.wait_before_retry(len(self.attempts)) * self.ctx.backoff_scale
        deadline = self._max_duration_deadline()
        if deadline is not None and time.monotonic() >= deadline:
            return None, "retryStrategy.backoff.maxDuration exceeded"
        if deadline is not None and time.monotonic() + wait > deadline:
            return None, "backoff would exceed retryStrategy.backoff.maxDuration"
        return wait, ""

    def _max_duration_deadline(self) -> float | None:
        if self.plan is None or self.plan.max_duration is None:
            return None
        return self.first_start + self.plan.max_duration

    def _attempt(self, rendered: Mapping[str, Any], pod: str, retry: int) -> _Attempt:
        ctx = self.ctx
        outputs_dir = self.sandbox / "tmp" / "outputs"
        shutil.rmtree(outputs_dir, ignore_errors=True)
        outputs_dir.mkdir(parents=True, exist_ok=True)
        started = _now()

        def finish(status: TaskStatus, message: str, code: int | None = None, **extra: Any):
            record = AttemptResult(
                retry=retry,
                status=status,
                exit_code=code,
                message=message,
                pod_name=pod,
                started_at=started,
                finished_at=_now(),
            )
            return _Attempt(record=record, **extra)

        container = rendered["container"]
        argv = [
            param_string(a) for a in [*container.get("command", []), *container.get("args", [])]
        ]
        plan_deadline = self._max_duration_deadline() if retry else None
        try:
            env = build_env(
                container.get("env"),
                pod_name=pod,
                namespace=ctx.namespace,
                service_account=ctx.service_account,
                extra_env=ctx.extra_env,
                outputs_dir=outputs_dir,
            )
            timeout, timeout_message = _limits(ctx, rendered, plan_deadline, self.where)
        except RunnerError as exc:
            return finish(TaskStatus.ERROR, str(exc))
        if timeout is not None and timeout <= 0:
            return finish(TaskStatus.FAILED, timeout_message)
        if not acquire_slot(ctx):
            return finish(TaskStatus.FAILED, "run interrupted")
        try:
            started = _now()
            ctx.display.task_started(self.unit.name, pod, retry)
            header = f"==> {self.unit.name} · pod {pod} · retry {retry} · {started.isoformat()}\n"
            proc = run_process(
                argv,
                env=env,
                cwd=ctx.workdir,
                log_path=ctx.log_path(self.unit.key),
                header=header,
                timeout=timeout,
                registry=ctx.processes,
                tail_lines=ctx.tail_lines,
            )
        finally:
            ctx.slots.release()
        if proc.error is not None or proc.timed_out or proc.exit_code != 0:
            status, message = _process_failure(proc, timeout_message, ctx.cancel.is_set())
            return finish(status, message, proc.exit_code, tail=proc.tail)
        try:
            outputs = _read_outputs(rendered, self.sandbox, self.where)
        except RunnerError as exc:
            return finish(TaskStatus.ERROR, str(exc), 0, tail=proc.tail)
        stdout = proc.stdout[:-1] if proc.stdout.endswith("\n") else proc.stdout
        return finish(TaskStatus.SUCCEEDED, "", 0, outputs=outputs, stdout=stdout, tail=proc.tail)

    def _result(self, status: TaskStatus, message: str, pod: str) -> TaskResult:
        attempts = self.attempts
        last = attempts[-1] if attempts else None
        log_path = self.ctx.log_path(self.unit.key)
        return TaskResult(
            name=self.unit.name,
            task=self.unit.task,
            template=self.unit.template_name,
            status=status,
            message=message,
            exit_code=last.record.exit_code if last else None,
            outputs=last.outputs if last else {},
            result=last.stdout if last else None,
            started_at=attempts[0].record.started_at if attempts else _now(),
            finished_at=last.record.finished_at if last else _now(),
            log_path=log_path if log_path.exists() else None,
            log_tail=last.tail if last else (),
            pod_name=pod,
            attempts=tuple(a.record for a in attempts),
            item=self.unit.item,
            item_index=self.unit.item_index,
        )


def _process_failure(
    proc: ProcessOutcome, timeout_message: str, cancelled: bool
) -> tuple[TaskStatus, str]:
    if proc.error is not None:
        return TaskStatus.ERROR, proc.error
    if proc.timed_out:
        return TaskStatus.FAILED, timeout_message
    if cancelled:
        return TaskStatus.FAILED, "run interrupted"
    return TaskStatus.FAILED, f"exit code {proc.exit_code}"


def run_container(ctx: RunContext, unit: Unit) -> TaskResult:
    """Run every attempt of ``unit`` (retries per ``retryStrategy``) and return its result."""
    return _ContainerRun(ctx, unit).run()
