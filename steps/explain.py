"""explain: SHAP global importance (bar + beeswarm) and per-row values on a bounded sample,
with the additivity check (values + base = model output) logged as a metric."""

from __future__ import annotations

import argparse

from steps._io import main, parser, write_outputs


def run(args: argparse.Namespace) -> None:
    import tempfile
    from pathlib import Path

    from glassbox import registry
    from glassbox.config import settings
    from glassbox.data import read_artifact_table
    from glassbox.errors import GlassboxError
    from glassbox.explain import explain
    from glassbox.features import id_name
    from glassbox.lineage import MODEL_RUN_TAG, log_input_dataset
    from glassbox.tracking import step_run

    conf = settings()
    data = conf.data
    seed = 0 if args.seed is None else args.seed
    with step_run("explain", seed=seed) as ctx:
        holdout = read_artifact_table(args.holdout_uri)
        log_input_dataset(
            ctx,
            holdout,
            name="features-holdout",
            source=args.holdout_uri,
            context="explanation",
            targets=data.target_column,
        )
        n = min(conf.explain.sample_rows, len(holdout))
        sample = holdout.sample(n=n, random_state=seed % 2**32).sort_index()
        result = explain(
            registry.load(args.model_uri),
            sample,
            id_name(data),
            list(data.features),
            Path(tempfile.mkdtemp()),
        )
        for f in result.files:
            ctx.log_artifact(f, "shap")
        ctx.log_params({"shap.sample_rows": n, "shap.explainer": "TreeExplainer"})
        ctx.log_metrics(
            {"shap.additivity_max_error": result.additivity_max_error}
            | {f"shap.mean_abs.{k}": v for k, v in result.importance.items()}
        )
        ctx.set_tags({MODEL_RUN_TAG: args.train_run_id})
        if result.additivity_max_error > conf.explain.max_additivity_error:
            raise GlassboxError(
                f"SHAP additivity check failed: max |sum(values) + base - output| = "
                f"{result.additivity_max_error:.3g} > {conf.explain.max_additivity_error:g}"
            )
        write_outputs(run_id=ctx.run_id)


def cli() -> None:
    p = parser("explain", __doc__ or "")
    p.add_argument("--model-uri", required=True)
    p.add_argument("--train-run-id", default="")
    p.add_argument("--holdout-uri", required=True)
    main("explain", run, p.parse_args())


if __name__ == "__main__":
    cli()
