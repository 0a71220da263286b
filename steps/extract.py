"""extract: read the training history, the production batch and the delayed targets.

Each part is written as Parquet into the step's MLflow run and recorded as an input (raw source,
with digest) and an output (the artifact later steps consume).
"""

from __future__ import annotations

import argparse

from steps._io import main, parser, write_outputs

PARTS = ("reference", "production", "targets")


def run(args: argparse.Namespace) -> None:
    import tempfile
    from pathlib import Path

    from glassbox.config import settings
    from glassbox.data import read_source
    from glassbox.lineage import log_input_dataset, log_output_dataset
    from glassbox.tracking import step_run

    conf = settings().data
    with step_run("extract", seed=args.seed) as ctx:
        outputs: dict[str, str] = {}
        tmp = Path(tempfile.mkdtemp())
        for part in PARTS:
            spec = getattr(args, part) or getattr(conf, part)
            df, source = read_source(spec, part)
            target = conf.target_column if part != "production" else None
            log_input_dataset(ctx, df, name=f"source-{part}", source=source, targets=target)
            local = tmp / f"{part}.parquet"
            df.to_parquet(local, index=False)
            uri = ctx.log_artifact(local, "raw")
            log_output_dataset(ctx, df, name=f"raw-{part}", uri=uri, targets=target)
            ctx.log_params({f"source.{part}": spec})
            ctx.log_metrics({f"rows.{part}": len(df)})
            outputs[f"{part}_uri"] = uri
        write_outputs(run_id=ctx.run_id, **outputs)


def cli() -> None:
    p = parser("extract", __doc__ or "")
    for part in PARTS:
        p.add_argument(f"--{part}", default="", help=f"{part} source (default from settings)")
    main("extract", run, p.parse_args())


if __name__ == "__main__":
    cli()
