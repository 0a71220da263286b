"""The serving run: one MLflow run per server process, the glass-box record of what it served.

At start: the model (name, version, fingerprint, the alias it follows, the training run),
the code (commit, lock digest, image), who and where (project, env, user, pod), the serving
settings as params, and MLflow's system metrics (CPU, memory, disk, network) sampled every
``system_metrics_interval_seconds``. While serving: a summary every ``summary_interval_seconds``
(requests, predictions, errors, latency percentiles, live PSI per feature), each alias switch
(tags + metric ``serving.model_version``) and the audit segments (glassbox.audit.log_segment).
At shutdown the run ends FINISHED; a run whose process was killed is ended KILLED by the next
process on the same audit volume.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from glassbox.serving._model import ServedModel
    from glassbox.serving._settings import ServingSettings

log = logging.getLogger("glassbox.serving")
RUN_KIND = "serving"


def _flat(prefix: str, data: dict[str, Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in data.items():
        name = f"{prefix}.{key}" if prefix else key
        if isinstance(value, dict):
            out |= _flat(name, value)
        else:
            out[name] = str(value)
    return out


def model_tags(model: ServedModel) -> dict[str, str]:
    return {
        "glassbox.model.name": model.ref.name,
        "glassbox.model.version": model.ref.version,
        "glassbox.model.fingerprint": model.ref.fingerprint,
        "glassbox.model.run_id": model.ref.run_id,
        "glassbox.model.train_run_id": model.train_run_id,
    }


class ServingRun:
    """Creates and feeds the serving run; every MLflow call is off the request path."""

    def __init__(self, settings: ServingSettings, experiment: str) -> None:
        self.settings = settings
        self.experiment = experiment
        self.run_id = ""
        self._monitor: Any = None
        self._lock = threading.Lock()
        self._step = 0
        self._switches = 0

    def start(self, model: ServedModel, model_uri: str, host: str, port: int) -> str:
        import mlflow

        from glassbox.tracking import code_tags, current_identity, ensure_experiment
        from glassbox.tracking._identity import people_tags

        identity = current_identity()
        experiment_id = ensure_experiment(self.experiment)
        pod = os.environ.get("POD_NAME") or os.environ.get("HOSTNAME") or socket.gethostname()
        tags = {
            "glassbox.run_kind": RUN_KIND,
            "glassbox.serving.model_uri": model_uri,
            "glassbox.serving.alias": model.ref.alias or "",
            "glassbox.serving.pod": pod,
            "glassbox.serving.pid": str(os.getpid()),
            "glassbox.serving.listen": f"{host}:{port}",
            "glassbox.serving.switches": "0",
            "mlflow.source.name": "glassbox serve",
        }
        tags |= model_tags(model) | code_tags() | people_tags() | identity.tags()
        if self.settings.faults.enabled:
            tags["glassbox.serving.faults"] = self.settings.faults.model_dump_json()
        client = mlflow.MlflowClient()
        run = client.create_run(
            experiment_id, run_name=f"serve-{model.ref.name}-v{model.ref.version}-{pod}", tags=tags
        )
        self.run_id = run.info.run_id
        params = _flat("serving", self.settings.model_dump(mode="json", exclude={"faults"}))
        self.log_params(params)
        self._start_system_metrics()
        return self.run_id

    def log_params(self, params: dict[str, str]) -> None:
        import mlflow
        from mlflow.entities import Param

        items = [Param(k, v[:6000]) for k, v in params.items()]
        client = mlflow.MlflowClient()
        for i in range(0, len(items), 100):
            client.log_batch(self.run_id, params=items[i : i + 100])

    def _start_system_metrics(self) -> None:
        """MLflow's own monitor every ``system_metrics_interval_seconds``, and one sample now
        (a server stopped within the first interval still has its system metrics)."""
        try:
            from mlflow.system_metrics.metrics.cpu_monitor import CPUMonitor
            from mlflow.system_metrics.metrics.disk_monitor import DiskMonitor
            from mlflow.system_metrics.system_metrics_monitor import SystemMetricsMonitor

            sample: dict[str, float] = {}
            for monitor in (CPUMonitor(), DiskMonitor()):
                monitor.collect_metrics()
                sample |= {f"system/{k}": float(v) for k, v in monitor.aggregate_metrics().items()}
            self.log_summary(sample, step=0)

            self._monitor = SystemMetricsMonitor(
                self.run_id,
                sampling_interval=self.settings.system_metrics_interval_seconds,
                samples_before_logging=1,
            )
            self._monitor.start()
        except Exception as exc:  # psutil missing or MLflow refusing: serve anyway
            log.warning("serving run: no system metrics (%s)", exc)
            self._monitor = None

    def log_summary(self, metrics: dict[str, float], step: int | None = None) -> None:
        """One point of each serving metric (step = the summary's number)."""
        import mlflow
        from mlflow.entities import Metric

        if step is None:
            with self._lock:
                self._step += 1
                step = self._step
        now = int(time.time() * 1000)
        items = [Metric(k, float(v), now, step) for k, v in metrics.items()]
        client = mlflow.MlflowClient()
        for i in range(0, len(items), 1000):
            client.log_batch(self.run_id, metrics=items[i : i + 1000])

    def record_switch(self, old: ServedModel, new: ServedModel, at: float) -> None:
        """Tags + a metric point: from which version to which, when and why."""
        import mlflow
        from mlflow.entities import Metric, RunTag

        with self._lock:
            self._switches += 1
            n = self._switches
        event = {
            "from_version": old.ref.version,
            "to_version": new.ref.version,
            "to_fingerprint": new.ref.fingerprint,
            "alias": new.ref.alias,
            "at": at,
        }
        tags = model_tags(new) | {
            "glassbox.serving.switches": str(n),
            f"glassbox.serving.switch.{n}": json.dumps(event, sort_keys=True),
        }
        mlflow.MlflowClient().log_batch(
            self.run_id,
            metrics=[Metric("serving.model_version", float(new.ref.version), int(at * 1000), n)],
            tags=[RunTag(k, v) for k, v in tags.items()],
        )

    def end(self, status: str, tags: dict[str, str]) -> None:
        """Tag how the server stopped, then end the run."""
        import mlflow
        from mlflow.entities import RunTag

        if self.run_id:
            items = [RunTag(k, v) for k, v in tags.items()]
            mlflow.MlflowClient().log_batch(self.run_id, tags=items)
        self.finish(status)

    def finish(self, status: str = "FINISHED") -> None:
        import mlflow

        if self._monitor is not None:
            try:
                self._monitor.finish()
            except Exception as exc:
                log.warning("serving run: system metrics did not stop cleanly (%s)", exc)
        if self.run_id:
            mlflow.MlflowClient().set_terminated(self.run_id, status)
