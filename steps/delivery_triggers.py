"""delivery-triggers: the trigger rules of ``delivery.triggers`` against this window's drift and
performance figures (e.g. PSI >= 0.25 -> alert, PSI >= 0.5 -> rollback), each rule quiet for
its cooldown, automatic rollbacks within ``delivery.automatic_rollback``'s guardrails."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from steps._io import main, parser, write_outputs


def state_dir(configured: Path | None) -> Path:
    """``delivery.state_dir``, else next to the alert outbox on the cron's state volume."""
    if configured is not None:
        return configured
    alerts = os.environ.get("GLASSBOX_ALERTS__STATE_DIR")
    if alerts:
        return Path(alerts).parent / "delivery"
    return Path(os.environ.get("GLASSBOX_HOME") or ".glassbox") / "delivery"


def run(args: argparse.Namespace) -> None:
    import json
    import tempfile

    from glassbox import delivery
    from glassbox.config import settings
    from glassbox.tracking import run_url, step_run

    conf = settings()
    model = conf.tracking.registered_model
    with step_run("delivery-triggers", seed=args.seed) as ctx:
        metrics = delivery.window_metrics(ctx.experiment_id, ctx.identity.workflow_uid)
        engine = delivery.TriggerEngine(
            conf.delivery.triggers,
            state_dir(conf.delivery.state_dir),
            guard=conf.delivery.automatic_rollback,
        )
        decisions = engine.evaluate(metrics, scope=model)
        life = delivery.Lifecycle.from_settings(conf.delivery, model, conf.tracking.champion_alias)
        lines = delivery.act(
            decisions,
            life,
            alerts_section=conf.alerts,
            run_url=run_url(ctx.experiment_id, ctx.run_id),
            guard=conf.delivery.automatic_rollback,
        )
        for line in lines:
            print(line)
        out = Path(tempfile.mkdtemp()) / "triggers.json"
        out.write_text(
            json.dumps(
                {
                    "metrics": len(metrics),
                    "decisions": [
                        {"rule": d.rule.key, "metric": d.metric, "value": d.value,
                         "fired": d.fired, "reason": d.reason}
                        for d in decisions
                    ],
                    "outcomes": lines,
                },
                indent=2,
            )
        )  # fmt: skip
        ctx.log_artifact(out, "delivery")
        ctx.log_metrics(
            {
                "triggers.crossed": len(decisions),
                "triggers.fired": sum(d.fired for d in decisions),
            }
        )
        write_outputs(run_id=ctx.run_id)


def cli() -> None:
    p = parser("delivery_triggers", __doc__ or "")
    main("delivery-triggers", run, p.parse_args())


if __name__ == "__main__":
    cli()
