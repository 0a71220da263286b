"""``step_run``: the MLflow run of one pipeline step, nested under the pipeline run."""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from glassbox.config import settings
from glassbox.tracking._access import access_error, access_errors
from glassbox.tracking._identity import Identity, code_tags, current_identity, people_tags
from glassbox.tracking._seeds import seed_everything
from glassbox.tracking._store import configure, ensure_experiment

# MLflow's log_batch limits per request.
_MAX_METRICS, _MAX_PARAMS, _MAX_TAGS = 1000, 100, 100
_ERROR_TAG_CHARS = 4000
ARGV_TAG = "glassbox.step.argv"


@dataclass
class StepContext:
    """What a step logs goes through here and reaches MLflow in batches (``flush``)."""

    step: str
    run_id: str
    experiment_id: str
    pipeline_run_id: str
    identity: Identity
    started: float = field(default_factory=time.monotonic)
    _params: dict[str, str] = field(default_factory=dict)
    _metrics: dict[str, tuple[float, int]] = field(default_factory=dict)
    _tags: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, Any] = field(default_factory=dict)  # e.g. data-quality metrics

    def pending_tags(self) -> dict[str, str]:
        """Tags set but not flushed yet."""
        return dict(self._tags)

    def log_params(self, params: dict[str, Any]) -> None:
        self._params.update({k: str(v) for k, v in params.items()})

    def log_metrics(self, metrics: dict[str, float], step: int = 0) -> None:
        self._metrics.update({k: (float(v), step) for k, v in metrics.items()})

    def set_tags(self, tags: dict[str, Any]) -> None:
        self._tags.update({k: str(v) for k, v in tags.items()})

    def set_pipeline_tags(self, tags: dict[str, Any]) -> None:
        """Tag the pipeline (parent) run now, e.g. with an outcome the whole workflow shares."""
        import mlflow
        from mlflow.entities import RunTag

        if tags:
            run_tags = [RunTag(k, str(v)) for k, v in tags.items()]
            mlflow.MlflowClient().log_batch(self.pipeline_run_id, tags=run_tags)

    def artifact_uri(self, path: str) -> str:
        """A ``runs:/`` URI other steps can download (and from which lineage reads the run)."""
        return f"runs:/{self.run_id}/{path}"

    def log_artifact(self, local: Path, artifact_path: str | None = None) -> str:
        import mlflow

        mlflow.MlflowClient().log_artifact(self.run_id, str(local), artifact_path)
        name = f"{artifact_path}/{local.name}" if artifact_path else local.name
        return self.artifact_uri(name)

    def flush(self) -> None:
        """Send buffered params/metrics/tags with ``log_batch`` (chunked at MLflow's limits)."""
        import mlflow
        from mlflow.entities import Metric, Param, RunTag

        client = mlflow.MlflowClient()
        now = int(time.time() * 1000)
        metrics = [Metric(k, v, now, s) for k, (v, s) in self._metrics.items()]
        params = [Param(k, v) for k, v in self._params.items()]
        tags = [RunTag(k, v) for k, v in self._tags.items()]
        while metrics or params or tags:
            client.log_batch(
                self.run_id,
                metrics=metrics[:_MAX_METRICS],
                params=params[:_MAX_PARAMS],
                tags=tags[:_MAX_TAGS],
            )
            metrics, params, tags = (
                metrics[_MAX_METRICS:],
                params[_MAX_PARAMS:],
                tags[_MAX_TAGS:],
            )
        self._params.clear()
        self._metrics.clear()
        self._tags.clear()


def _find_run(experiment_id: str, filters: dict[str, str]) -> str | None:
    import mlflow

    query = " and ".join(f"tags.`{k}` = '{v}'" for k, v in filters.items())
    runs = mlflow.MlflowClient().search_runs(
        [experiment_id], filter_string=query, max_results=1, order_by=["attributes.start_time ASC"]
    )
    return runs[0].info.run_id if runs else None


def pipeline_run_id(experiment_id: str, identity: Identity, pipeline: str) -> str:
    """Get or create the pipeline (parent) run of this workflow, keyed by the workflow uid."""
    import mlflow

    key = {"glassbox.workflow_uid": identity.workflow_uid, "glassbox.run_kind": "pipeline"}
    found = _find_run(experiment_id, key)
    if found:
        return found
    tags = key | identity.tags() | code_tags() | people_tags() | {"glassbox.pipeline": pipeline}
    run = mlflow.MlflowClient().create_run(
        experiment_id, run_name=identity.workflow_name, tags=tags
    )
    return str(run.info.run_id)


def experiment_for(pipeline: str) -> str:
    """Training runs go to the training experiment, cron windows to the monitoring one."""
    conf = settings().tracking
    return conf.monitoring_experiment if pipeline == "monitoring" else conf.experiment


def _cost(seconds: float) -> tuple[dict[str, float], dict[str, str]]:
    instance = os.environ.get("GLASSBOX_INSTANCE_TYPE", "local")
    metrics = {"run_time_seconds": seconds}
    price = settings().pricing.get(instance)
    tags = {"glassbox.instance_type": instance}
    if price is None:
        tags["glassbox.cost.note"] = f"no price for instance type '{instance}' in pricing table"
    else:
        metrics["estimated_cost_usd"] = seconds / 3600.0 * price
        tags["glassbox.cost.usd_per_hour"] = str(price)
    return metrics, tags


@contextmanager
def step_run(
    step: str,
    *,
    seed: int | None = None,
    key: str | None = None,
    experiment: str | None = None,
    pipeline: str | None = None,
) -> Iterator[StepContext]:
    """Run a step inside its MLflow run (resumed on a retry: keyed by workflow uid + step key).

    On an exception the run ends FAILED with the one-line reason in tag ``glassbox.error``;
    everything logged before the failure stays recorded.
    """
    import mlflow

    uri = configure()
    conf = settings()
    mlflow.set_system_metrics_sampling_interval(conf.tracking.system_metrics_interval_seconds)
    mlflow.set_system_metrics_samples_before_logging(1)
    identity = current_identity()
    pipeline = pipeline or os.environ.get("GLASSBOX_PIPELINE", "training")
    step_key = key or step
    with access_errors(uri, f"starting the MLflow run of step {step_key}"):
        experiment_id = ensure_experiment(experiment or experiment_for(pipeline))
        parent = pipeline_run_id(experiment_id, identity, pipeline)
        base = {
            "glassbox.workflow_uid": identity.workflow_uid,
            "glassbox.step_key": step_key,
            "glassbox.run_kind": "step",
        }
        existing = _find_run(experiment_id, base)
        active = mlflow.start_run(
            run_id=existing,
            experiment_id=experiment_id,
            run_name=None if existing else step_key,
            parent_run_id=None if existing else parent,
            tags=None if existing else base,
            log_system_metrics=True,
        )
    ctx = StepContext(step, active.info.run_id, experiment_id, parent, identity)
    ctx.set_tags(
        {
            "glassbox.step": step,
            "glassbox.pipeline": pipeline,
            "mlflow.source.name": f"steps.{step}",
            ARGV_TAG: json.dumps(sys.argv[1:]),  # what a replay runs again
        }
        | identity.tags()
        | code_tags()
        | people_tags()
    )
    if existing:
        ctx.set_tags({"glassbox.resumed_attempt": identity.retry})
    if seed is not None:
        ctx.log_params(seed_everything(seed))
    from glassbox import openlineage

    openlineage.emit_start(ctx)
    try:
        yield ctx
    except BaseException as exc:
        ctx.set_tags({"glassbox.error": f"{type(exc).__name__}: {exc}"[:_ERROR_TAG_CHARS]})
        _finish(ctx)
        openlineage.emit_fail(ctx, exc)
        mlflow.end_run("FAILED" if not isinstance(exc, KeyboardInterrupt) else "KILLED")
        denied = (
            access_error(exc, uri, f"running step {step_key}")
            if isinstance(exc, Exception)
            else None
        )
        if denied is not None:
            raise denied from None
        raise
    _finish(ctx)
    openlineage.emit_complete(ctx)
    mlflow.end_run("FINISHED")


def _system_sample(ctx: StepContext) -> None:
    """A step shorter than the sampling interval ends before MLflow's monitor logs anything:
    take one sample with MLflow's own monitors so every step run carries system metrics."""
    import mlflow
    from mlflow.system_metrics.metrics.cpu_monitor import CPUMonitor
    from mlflow.system_metrics.metrics.disk_monitor import DiskMonitor

    logged = mlflow.MlflowClient().get_run(ctx.run_id).data.metrics
    if any(k.startswith("system/") for k in logged):
        return
    sample: dict[str, float] = {}
    for monitor in (CPUMonitor(), DiskMonitor()):
        monitor.collect_metrics()
        sample |= {f"system/{k}": float(v) for k, v in monitor.aggregate_metrics().items()}
    ctx.log_metrics(sample)


def _describe(ctx: StepContext) -> None:
    """The run description the MLflow UI shows (see glassbox.tracking._describe)."""
    import mlflow

    from glassbox.tracking._describe import NOTE_TAG, describe

    client = mlflow.MlflowClient()
    run = client.get_run(ctx.run_id)
    ctx.set_tags({NOTE_TAG: describe(run, run.data.tags | ctx.pending_tags(), client)})


def _finish(ctx: StepContext) -> None:
    metrics, tags = _cost(time.monotonic() - ctx.started)
    _system_sample(ctx)
    ctx.log_metrics(metrics)
    ctx.set_tags(tags)
    _describe(ctx)
    ctx.flush()
