"""transform: model-ready features (canonical dtypes) and a time-ordered train/holdout split."""

from __future__ import annotations

import argparse

from steps._io import main, parser, read_raw_inputs, write_outputs


def run(args: argparse.Namespace) -> None:
    import tempfile
    from pathlib import Path

    from glassbox.config import settings
    from glassbox.features import prepare, split_holdout
    from glassbox.lineage import log_output_dataset
    from glassbox.tracking import step_run

    conf = settings().data
    with step_run("transform", seed=args.seed) as ctx:
        reference, production = read_raw_inputs(ctx, args, conf.target_column)
        train, holdout = split_holdout(prepare(reference, conf), conf.holdout_fraction)
        frames = {"train": train, "holdout": holdout, "production": prepare(production, conf)}
        tmp = Path(tempfile.mkdtemp())
        outputs: dict[str, str] = {}
        for name, df in frames.items():
            local = tmp / f"{name}.parquet"
            df.to_parquet(local, index=False)
            uri = ctx.log_artifact(local, "features")
            log_output_dataset(
                ctx,
                df,
                name=f"features-{name}",
                uri=uri,
                targets=conf.target_column if name != "production" else None,
            )
            ctx.log_metrics({f"rows.{name}": len(df)})
            outputs[f"{name}_uri"] = uri
        ctx.log_params({"holdout_fraction": conf.holdout_fraction, "split": "time-ordered"})
        write_outputs(run_id=ctx.run_id, **outputs)


def cli() -> None:
    p = parser("transform", __doc__ or "")
    p.add_argument("--reference-uri", required=True)
    p.add_argument("--production-uri", required=True)
    main("transform", run, p.parse_args())


if __name__ == "__main__":
    cli()
