"""transform: model-ready features (canonical dtypes) and a time-ordered train/holdout split.

Without a timestamp column the split follows the file's row order, and without an id column
the rows get derived ids (glassbox.features): both fallbacks are printed in the step's log and
tagged on the step run and on the pipeline run."""

from __future__ import annotations

import argparse

from steps._io import main, parser, read_raw_inputs, write_outputs


def run(args: argparse.Namespace) -> None:
    import tempfile
    from pathlib import Path

    from glassbox.config import settings
    from glassbox.features import fallbacks, prepare, split_holdout
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
        split = "time-ordered" if conf.timestamp_column else "row-order"
        ctx.log_params({"holdout_fraction": conf.holdout_fraction, "split": split})
        notes = fallbacks(conf)
        for key, note in notes.items():
            print(f"transform: {key.rsplit('.', 1)[-1]}: {note}")
        ctx.set_tags(notes)
        ctx.set_pipeline_tags(notes)
        write_outputs(run_id=ctx.run_id, **outputs)


def cli() -> None:
    p = parser("transform", __doc__ or "")
    p.add_argument("--reference-uri", required=True)
    p.add_argument("--production-uri", required=True)
    main("transform", run, p.parse_args())


if __name__ == "__main__":
    cli()
