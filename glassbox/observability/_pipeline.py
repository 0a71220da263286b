"""One pipeline run as gauges: outcome, duration, failed and slow steps."""

from __future__ import annotations

import json
import math
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from glassbox.observability._catalogue import new_registry
from glassbox.observability._errors import ObservabilityError

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry

#: Argo's final workflow phases (``{{workflow.status}}`` in an exit handler).
STATUSES = ("Succeeded", "Failed", "Error")


def parse_failures(failures: str | Sequence[Mapping[str, Any]] | None) -> Counter[str]:
    """Failed nodes per template from ``{{workflow.failures}}`` (a JSON list of objects with
    ``templateName``, ``displayName``, ``phase``...); empty, ``null`` or ``[]`` → none."""
    items: Any = failures
    if isinstance(failures, str):
        text = failures.strip()
        if text in ("", "null"):
            return Counter()
        try:
            items = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ObservabilityError(
                f"failures: expected the JSON of {{{{workflow.failures}}}} ({exc.msg} at "
                f"position {exc.pos})"
            ) from None
    if items is None:
        return Counter()
    if not isinstance(items, list):
        raise ObservabilityError(f"failures: expected a JSON list, got {type(items).__name__}")
    out: Counter[str] = Counter()
    for index, item in enumerate(items):
        name = (
            item.get("templateName") or item.get("displayName") if isinstance(item, dict) else None
        )
        if not isinstance(name, str) or not name:
            raise ObservabilityError(
                f"failures[{index}]: expected an object with a 'templateName', got {item!r:.80}"
            )
        out[name] += 1
    return out


def _seconds(name: str, value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ObservabilityError(f"{name}: expected a number of seconds, got {value!r}")
    if value < 0:
        raise ObservabilityError(f"{name}: expected seconds >= 0, got {value}")
    return float(value)


def pipeline_registry(
    pipeline: str,
    *,
    status: str,
    duration_seconds: float | None = None,
    failures: str | Sequence[Mapping[str, Any]] | None = None,
    step_durations: Mapping[str, float] | None = None,
    finished_at: float | None = None,
) -> CollectorRegistry:
    """A fresh registry describing one finished run of ``pipeline``."""
    if not isinstance(pipeline, str) or not pipeline.strip():
        raise ObservabilityError(f"pipeline: expected a non-empty name, got {pipeline!r}")
    if status not in STATUSES:
        raise ObservabilityError(f"status: expected one of {', '.join(STATUSES)}, got {status!r}")
    registry, g = new_registry("pipeline")
    stamp = time.time() if finished_at is None else finished_at
    g["glassbox_pipeline_last_run_timestamp_seconds"].labels(pipeline).set(stamp)
    g["glassbox_pipeline_last_run_failed"].labels(pipeline).set(int(status != "Succeeded"))
    if duration_seconds is not None:
        g["glassbox_pipeline_last_run_duration_seconds"].labels(pipeline).set(
            _seconds("duration_seconds", duration_seconds)
        )
    durations = dict(step_durations or {})
    failed = parse_failures(failures)
    for step in sorted(set(durations) | set(failed)):
        g["glassbox_pipeline_last_run_step_failures"].labels(pipeline, step).set(failed[step])
    for step, seconds in sorted(durations.items()):
        g["glassbox_pipeline_last_run_step_duration_seconds"].labels(pipeline, step).set(
            _seconds(f"step_durations[{step!r}]", seconds)
        )
    return registry


def step_durations(experiment_id: str, workflow_uid: str) -> dict[str, float]:
    """Seconds per step of one workflow, from its MLflow step runs (``run_time_seconds``, else
    end - start); a fanned-out step counts its longest item."""
    import mlflow

    query = f"tags.`glassbox.workflow_uid` = '{workflow_uid}' and tags.`glassbox.run_kind` = 'step'"
    runs = mlflow.MlflowClient().search_runs([experiment_id], query, max_results=5000)
    out: dict[str, float] = {}
    for run in runs:
        step = run.data.tags.get("glassbox.step")
        seconds = run.data.metrics.get("run_time_seconds")
        if seconds is None and run.info.end_time and run.info.start_time:
            seconds = (run.info.end_time - run.info.start_time) / 1000.0
        if step and seconds is not None:
            out[step] = max(out.get(step, 0.0), float(seconds))
    return out
