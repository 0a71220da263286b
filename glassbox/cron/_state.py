"""The long-lived monitoring run of a registered model: watermark, window counter, charts.

Each cron window is its own run; this one run per model accumulates step-indexed metrics
(step = window number) so the MLflow UI charts drift and performance over time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

WATERMARK = "glassbox.monitor.watermark"
WINDOWS = "glassbox.monitor.windows"
LAST_RETRAIN = "glassbox.monitor.last_retrain"


@dataclass
class History:
    run_id: str
    model: str
    watermark: str | None
    windows: int
    last_retrain: str | None

    def client(self) -> Any:
        import mlflow

        return mlflow.MlflowClient()

    def log_window(self, metrics: dict[str, float], window: int) -> None:
        """Step-indexed history: one point per window for every metric."""
        import time

        from mlflow.entities import Metric

        now = int(time.time() * 1000)
        items = [Metric(k, float(v), now, window) for k, v in metrics.items()]
        for start in range(0, len(items), 1000):
            self.client().log_batch(self.run_id, metrics=items[start : start + 1000])

    def advance(self, watermark: str, windows: int) -> None:
        self.client().set_tag(self.run_id, WATERMARK, watermark)
        self.client().set_tag(self.run_id, WINDOWS, str(windows))

    def mark_retrain(self, when: str) -> None:
        self.client().set_tag(self.run_id, LAST_RETRAIN, when)


def history(experiment_id: str, model: str) -> History:
    """Get or create the history run of ``model`` in the monitoring experiment."""
    import mlflow

    client = mlflow.MlflowClient()
    key = {"glassbox.run_kind": "history", "glassbox.model.name": model}
    query = " and ".join(f"tags.`{k}` = '{v}'" for k, v in key.items())
    found = client.search_runs([experiment_id], query, max_results=1)
    if found:
        run = found[0]
    else:
        run = client.create_run(experiment_id, run_name=f"history/{model}", tags=key)
    tags = run.data.tags
    return History(
        run_id=run.info.run_id,
        model=model,
        watermark=tags.get(WATERMARK),
        windows=int(tags.get(WINDOWS, "0")),
        last_retrain=tags.get(LAST_RETRAIN),
    )
