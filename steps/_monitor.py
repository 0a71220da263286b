"""Shared by the cron's check steps: the reference of a window and the findings artifact."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from glassbox.cron import Reference
    from glassbox.monitoring import Finding
    from glassbox.tracking import StepContext


def reference(train_run_id: str) -> Reference:
    """The Reference of the training run the window step resolved (the champion then)."""
    from glassbox.cron import reference_of_run

    return reference_of_run(train_run_id)


def log_findings(ctx: StepContext, name: str, findings: list[Finding]) -> str:
    """The step's typed findings as ``findings/<name>.json`` (``glassbox.monitoring.Findings``)."""
    from glassbox.monitoring import Findings

    local = Path(tempfile.mkdtemp()) / f"{name}.json"
    local.write_text(Findings(source=name, findings=tuple(findings)).model_dump_json(indent=2))
    return ctx.log_artifact(local, "findings")
