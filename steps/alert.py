"""alert: turn the window's findings into alerts and route them (warning → Slack, critical →
Slack + PagerDuty, local → desktop/terminal) through the persistent outbox; recovered checks
resolve their open alerts. Then advance the watermark: the window is processed."""

from __future__ import annotations

import argparse
import os
from typing import Any

from steps._io import main, parser, write_outputs

RANK = {"none": 0, "warning": 1, "critical": 2}


def _load(uri: str) -> list[Any]:
    """The typed findings a check step logged (``glassbox.monitoring.Findings``)."""
    import tempfile
    from pathlib import Path

    import mlflow.artifacts

    from glassbox.monitoring import Findings

    if not uri:
        return []  # the check was skipped (empty window)
    local = Path(mlflow.artifacts.download_artifacts(uri, dst_path=tempfile.mkdtemp()))
    return list(Findings.model_validate_json(local.read_text()).findings)


def run_url(experiment_id: str, run_id: str) -> str:
    """Link to a run in the MLflow UI: $GLASSBOX_MLFLOW_UI_URL, the tracking server, or the
    local `just ui` address."""
    from glassbox.tracking import tracking_uri

    uri = tracking_uri()
    base = os.environ.get("GLASSBOX_MLFLOW_UI_URL") or (
        uri if uri.startswith(("http://", "https://")) else "http://127.0.0.1:5000"
    )
    return f"{base.rstrip('/')}/#/experiments/{experiment_id}/runs/{run_id}"


def run(args: argparse.Namespace) -> None:
    import json
    import tempfile
    from pathlib import Path

    import mlflow

    from glassbox.alerts import AlertRouter
    from glassbox.config import settings
    from glassbox.cron import history
    from glassbox.monitoring import to_alerts
    from glassbox.tracking import step_run

    conf = settings()
    model = conf.tracking.registered_model
    with step_run("alert", seed=args.seed) as ctx:
        sources = json.loads(args.findings)
        findings = [f for uri in sources.values() for f in _load(uri)]
        link = run_url(ctx.experiment_id, args.window_run_id)
        alerts = to_alerts(findings, model, run_url=link)
        with AlertRouter.from_env(conf.alerts) as router:
            report = router.send(alerts)
        worst = max((f.severity for f in findings), key=RANK.__getitem__, default="none")
        sent = [
            {
                "dedup_key": d.alert.dedup_key,
                "check": d.alert.check,
                "feature": d.alert.feature,
                "severity": d.alert.severity,
                "outcome": d.outcome,
            }
            for d in report.decisions
        ]
        local = Path(tempfile.mkdtemp()) / "alerts.json"
        local.write_text(json.dumps({"severity": worst, "alerts": sent}, indent=2))
        ctx.log_artifact(local, "alerts")
        ctx.log_metrics(
            {
                "alerts.sent": len(report.sent),
                "alerts.findings": len(findings),
                "alerts.problems": sum(1 for f in findings if f.is_problem),
                "alerts.delivery_pending": report.flush.pending,
            }
        )
        window = mlflow.MlflowClient().get_run(args.window_run_id).data.tags
        hist = history(ctx.experiment_id, model)
        # Time to resolve (MTTR) per dedup key, charted on the history run window by window.
        resolved = {
            f"alerts.time_to_resolve_seconds.{d.alert.dedup_key}": d.resolved_after.total_seconds()
            for d in report.resolved
            if d.resolved_after is not None
        }
        if resolved:
            ctx.log_metrics(resolved)
            hist.log_window(resolved, hist.windows + 1)
        to = window.get("glassbox.monitor.window_to", "none")
        if to != "none":
            hist.advance(to, hist.windows + 1)
        ctx.set_tags({"glassbox.monitor.severity": worst})
        from glassbox.observability import publish_window

        publish_window(
            model,
            findings=sources,
            alerts=report,
            window_rows=mlflow.MlflowClient()
            .get_run(args.window_run_id)
            .data.metrics.get("window.rows"),
        )
        write_outputs(run_id=ctx.run_id, severity=worst)


def cli() -> None:
    p = parser("alert", __doc__ or "")
    p.add_argument("--window-run-id", required=True)
    p.add_argument("--findings", required=True, help='JSON {"quality": uri, ...}')
    main("alert", run, p.parse_args())


if __name__ == "__main__":
    cli()
