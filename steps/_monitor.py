"""Shared by the cron's check steps: the reference of a window and findings artifacts."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from glassbox.cron import Reference
    from glassbox.tracking import StepContext


def reference(train_run_id: str) -> Reference:
    """The Reference of the training run the window step resolved (the champion then)."""
    import mlflow

    from glassbox.cron import Reference
    from glassbox.cron._reference import TRAIN_URI_TAG

    tags = mlflow.MlflowClient().get_run(train_run_id).data.tags
    return Reference(
        train_run_id, tags["glassbox.model.uri"], tags[TRAIN_URI_TAG], tags["glassbox.workflow_uid"]
    )


def log_findings(ctx: StepContext, name: str, findings: list[dict[str, Any]]) -> str:
    """Findings (check, feature, severity, summary, details) as ``findings/<name>.json``."""
    local = Path(tempfile.mkdtemp()) / f"{name}.json"
    local.write_text(json.dumps(findings, indent=2, default=str))
    return ctx.log_artifact(local, "findings")
