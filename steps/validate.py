"""validate: derive the data contract from the training history and check both batches.

A missing column, a wrong dtype, an empty file, NaN/inf in a required feature or an unknown
category stops the pipeline here with a message naming the file, the column and what was
expected. The contract is logged (``contract/contract.json``) for transform, score and the cron.
"""

from __future__ import annotations

import argparse

from steps._io import main, parser, write_outputs


def run(args: argparse.Namespace) -> None:
    import tempfile
    from pathlib import Path

    from glassbox.config import settings
    from glassbox.data import read_artifact_table
    from glassbox.lineage import log_input_dataset
    from glassbox.quality import DataContract, validate_batch
    from glassbox.tracking import step_run

    conf = settings().data
    with step_run("validate", seed=args.seed) as ctx:
        reference = read_artifact_table(args.reference_uri)
        production = read_artifact_table(args.production_uri)
        log_input_dataset(
            ctx, reference, name="raw-reference", source=args.reference_uri,
            targets=conf.target_column,
        )
        log_input_dataset(ctx, production, name="raw-production", source=args.production_uri)
        contract = DataContract.infer(
            reference,
            features=list(conf.features),
            categorical=list(conf.categorical_features),
            id_column=conf.id_column,
            timestamp_column=conf.timestamp_column,
            target_column=conf.target_column,
        )
        validate_batch(reference, contract, source=args.reference_uri)
        validate_batch(production.assign(**{conf.target_column: 0}), contract,
                       source=args.production_uri)
        local = Path(tempfile.mkdtemp()) / "contract.json"
        local.write_text(contract.to_json())
        uri = ctx.log_artifact(local, "contract")
        ctx.set_tags({"glassbox.validation": "passed"})
        ctx.log_metrics({"rows.reference": len(reference), "rows.production": len(production)})
        write_outputs(run_id=ctx.run_id, contract_uri=uri)


def cli() -> None:
    p = parser("validate", __doc__ or "")
    p.add_argument("--reference-uri", required=True)
    p.add_argument("--production-uri", required=True)
    main("validate", run, p.parse_args())


if __name__ == "__main__":
    cli()
