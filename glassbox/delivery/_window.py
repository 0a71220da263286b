"""The metric values a monitoring window offers the trigger rules.

The cron's drift and performance steps log their figures on their own MLflow runs; the trigger
step finds those runs by the workflow's uid (every step run carries ``glassbox.workflow_uid``
and ``glassbox.step_key``), so it needs no parameter from them (a skipped step simply offers
nothing). Names: ``drift.<column>.<statistic>`` becomes ``<statistic>.<column>`` (``psi.car_value``,
``js_distance.y_pred_proba``, ...), so a rule on ``psi.*`` covers every feature and the model's
output; the performance step's names pass through (``realized.roc_auc``, ``estimated.roc_auc``).
"""

from __future__ import annotations

import math

STEPS = ("drift", "performance")


def window_metrics(experiment_id: str, workflow_uid: str) -> dict[str, float]:
    import mlflow

    client = mlflow.MlflowClient()
    out: dict[str, float] = {}
    for step in STEPS:
        runs = client.search_runs(
            [experiment_id],
            f"tags.`glassbox.workflow_uid` = '{workflow_uid}' and "
            f"tags.`glassbox.step_key` = '{step}' and attributes.status = 'FINISHED'",
            max_results=1,
        )
        if runs:
            out |= trigger_names(runs[0].data.metrics)
    return out


def trigger_names(metrics: dict[str, float]) -> dict[str, float]:
    """``drift.<column>.<statistic>`` -> ``<statistic>.<column>``; other names unchanged."""
    out: dict[str, float] = {}
    for name, value in metrics.items():
        if not math.isfinite(value) or name.startswith("system/"):
            continue
        parts = name.split(".")
        if parts[0] == "drift" and len(parts) >= 3:
            out[f"{parts[-1]}.{'.'.join(parts[1:-1])}"] = value
        else:
            out[name] = value
    return out
