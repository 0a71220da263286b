"""drift: the production batch's feature and prediction drift against the training reference.

The reference profile was logged by the train step of the model that scored the batch, so the
chain predictions → score run → model's train run → profile is the lineage chain itself.
"""

from __future__ import annotations

import argparse

from steps._io import main, parser, write_outputs


def run(args: argparse.Namespace) -> None:
    import json
    import tempfile
    from pathlib import Path

    import mlflow
    import mlflow.artifacts

    from glassbox.data import read_artifact_table
    from glassbox.drift import DriftCalculator, ReferenceProfile
    from glassbox.lineage import MODEL_RUN_TAG, log_input_dataset, run_id_of
    from glassbox.tracking import step_run

    with step_run("drift", seed=args.seed) as ctx:
        predictions = read_artifact_table(args.predictions_uri)
        log_input_dataset(
            ctx, predictions, name="predictions", source=args.predictions_uri, context="monitoring"
        )
        score_run = mlflow.MlflowClient().get_run(run_id_of(args.predictions_uri) or "")
        model_run = score_run.data.tags[MODEL_RUN_TAG]
        local = mlflow.artifacts.download_artifacts(
            run_id=model_run,
            artifact_path="drift/reference_profile",
            dst_path=tempfile.mkdtemp(),
        )
        profile = ReferenceProfile.load(local)
        # The profile's columns: the features and the model's score (probability or number).
        result = DriftCalculator.from_profile(profile).calculate(
            predictions.loc[:, list(profile.names)]
        )
        ctx.log_metrics(result.metrics())
        flagged = [f.name for f in result.flagged()]
        ctx.set_tags(
            {
                MODEL_RUN_TAG: model_run,
                "glassbox.drift.severity": result.severity,
                "glassbox.drift.flagged": ",".join(flagged) or "none",
            }
        )
        report = Path(tempfile.mkdtemp()) / "drift.json"
        report.write_text(json.dumps(result.to_dict(), indent=2))
        ctx.log_artifact(report, "drift")
        write_outputs(run_id=ctx.run_id, severity=result.severity)


def cli() -> None:
    p = parser("drift", __doc__ or "")
    p.add_argument("--predictions-uri", required=True)
    main("drift", run, p.parse_args())


if __name__ == "__main__":
    cli()
