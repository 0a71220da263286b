"""retrain-decision: should this window start a training run? Guardrails: a critical finding,
the cooldown, at most N per period, never while a training pipeline is running."""

from __future__ import annotations

import argparse

from steps._io import main, parser, write_outputs


def run(args: argparse.Namespace) -> None:
    from datetime import UTC, datetime

    from glassbox.config import settings
    from glassbox.cron import history
    from glassbox.cron._retrain import (
        RETRAINS_TAG,
        decide,
        past_retrains,
        record,
        training_running,
    )
    from glassbox.tracking import ensure_experiment, step_run

    conf = settings()
    policy = conf.monitoring.retrain
    with step_run("retrain-decision", seed=args.seed) as ctx:
        hist = history(ctx.experiment_id, conf.tracking.registered_model)
        tags = hist.client().get_run(hist.run_id).data.tags
        past = past_retrains(tags.get(RETRAINS_TAG))
        busy = training_running(
            ensure_experiment(conf.tracking.experiment), policy.active_training_max_age_hours
        )
        now = datetime.now(UTC)
        decision = decide(args.severity, policy, past, busy, now)
        if decision.retrain:
            record(hist.client(), hist.run_id, past, now)
        ctx.log_params({f"retrain.{k}": v for k, v in policy.model_dump().items()})
        ctx.set_tags(
            {
                "glassbox.retrain": str(decision.retrain).lower(),
                "glassbox.retrain.reason": decision.reason,
            }
        )
        write_outputs(
            run_id=ctx.run_id, retrain=str(decision.retrain).lower(), reason=decision.reason
        )


def cli() -> None:
    p = parser("retrain_decision", __doc__ or "")
    p.add_argument("--severity", required=True, choices=["none", "warning", "critical"])
    main("retrain-decision", run, p.parse_args())


if __name__ == "__main__":
    cli()
