"""finalize (the workflow's exit handler): close the pipeline's MLflow run with its outcome.

Tag ``glassbox.status`` on the pipeline run: ``succeeded``, ``gate failed`` (the workflow ran
to its end but the candidate failed the gate, so nothing was registered) or ``failed``."""

from __future__ import annotations

import argparse

from steps._io import main, parser

_STATUS = {"Succeeded": "FINISHED", "Failed": "FAILED", "Error": "FAILED"}


def run(args: argparse.Namespace) -> None:
    import os
    import time

    import mlflow

    from glassbox.tracking import configure, current_identity, ensure_experiment
    from glassbox.tracking._context import experiment_for, pipeline_run_id

    configure()
    client = mlflow.MlflowClient()
    identity = current_identity()
    pipeline = os.environ.get("GLASSBOX_PIPELINE", "training")
    experiment = ensure_experiment(experiment_for(pipeline))
    run_id = pipeline_run_id(experiment, identity, pipeline)
    run = client.get_run(run_id)
    failures = args.failures if args.failures not in ("", "null") else "[]"
    client.set_tag(run_id, "glassbox.workflow_status", args.status)
    client.set_tag(run_id, "glassbox.status", outcome(args.status, run.data.tags))
    if failures != "[]":
        client.set_tag(run_id, "glassbox.workflow_failures", failures[:4000])
    elapsed = time.time() - run.info.start_time / 1000.0
    client.log_metric(run_id, "pipeline.run_time_seconds", elapsed)
    client.set_terminated(run_id, _STATUS.get(args.status, "FAILED"))
    from glassbox.observability import publish_pipeline, step_durations

    publish_pipeline(
        pipeline,
        status=args.status if args.status in _STATUS else "Error",
        duration_seconds=elapsed,
        failures=failures,
        step_durations=step_durations(experiment, identity.workflow_uid),
    )


def outcome(status: str, tags: dict[str, str]) -> str:
    """The pipeline's outcome in words: a workflow that succeeded while the gate failed (no
    version registered, champion-dependent steps skipped) says "gate failed"."""
    if status != "Succeeded":
        return "failed"
    return "gate failed" if tags.get("glassbox.gate") == "failed" else "succeeded"


def cli() -> None:
    p = parser("finalize", __doc__ or "")
    p.add_argument("--status", required=True, help="{{workflow.status}}")
    p.add_argument("--failures", default="", help="{{workflow.failures}} (JSON)")
    main("finalize", run, p.parse_args())


if __name__ == "__main__":
    cli()
