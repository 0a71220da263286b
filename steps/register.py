"""register: register the gated model version: ``champion`` when there is none yet, else
``challenger`` (promoted after its canary by ``glassbox model promote`` / ``canary analyze``).

Runs only when evaluate's gate passed (the DAG's ``when``); it re-checks the verdict on the
evaluate run so that a hand-started register cannot register a model that failed the gate."""

from __future__ import annotations

import argparse

from steps._io import main, parser, write_outputs


def run(args: argparse.Namespace) -> None:
    import mlflow

    from glassbox import delivery
    from glassbox.config import settings
    from glassbox.errors import TrackingError
    from glassbox.lineage import MODEL_RUN_TAG
    from glassbox.tracking import step_run

    conf = settings().tracking
    life = delivery.Lifecycle.from_settings(
        settings().delivery, conf.registered_model, conf.champion_alias
    )
    with step_run("register", seed=args.seed) as ctx:
        client = mlflow.MlflowClient()
        verdict = client.get_run(args.evaluate_run_id).data.tags.get("glassbox.gate", "missing")
        if verdict != "passed":
            raise TrackingError(
                f"evaluate run {args.evaluate_run_id}: gate is '{verdict}', "
                "expected 'passed'; not promoting"
            )
        fingerprint = client.get_run(args.train_run_id).data.tags["glassbox.model.fingerprint"]
        registered = delivery.register_gated(
            life,
            args.model_uri,
            fingerprint,
            tags={
                "glassbox.gate_run_id": args.evaluate_run_id,
                "glassbox.train_run_id": args.train_run_id,
            },
            reason=f"passed the gate (evaluate run {args.evaluate_run_id})",
        )
        version = registered.version
        ctx.set_tags(
            {
                MODEL_RUN_TAG: args.train_run_id,
                "glassbox.model.name": conf.registered_model,
                "glassbox.model.version": version,
                "glassbox.model.fingerprint": fingerprint,
                "glassbox.model.alias": registered.alias,
            }
        )
        write_outputs(run_id=ctx.run_id, model_version=version)


def cli() -> None:
    p = parser("register", __doc__ or "")
    p.add_argument("--model-uri", required=True)
    p.add_argument("--train-run-id", required=True)
    p.add_argument("--evaluate-run-id", required=True)
    main("register", run, p.parse_args())


if __name__ == "__main__":
    cli()
