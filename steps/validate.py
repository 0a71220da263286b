"""validate: derive the data contract from the training history and check both batches.

A missing column, a wrong dtype, an empty file, NaN/inf in a required feature or an unknown
category stops the pipeline here with a message naming the file, the column and what was
expected. The contract is logged (``contract/contract.json``) for transform, score and the cron.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from steps._io import main, parser, read_raw_inputs, write_outputs

if TYPE_CHECKING:
    from glassbox.config import DataSettings
    from glassbox.quality import DataContract


def run(args: argparse.Namespace) -> None:
    import tempfile
    from pathlib import Path

    from glassbox.config import settings
    from glassbox.openlineage import record_quality
    from glassbox.quality import DataContract, validate_batch
    from glassbox.tracking import step_run

    conf = settings().data
    with step_run("validate", seed=args.seed) as ctx:
        reference, production = read_raw_inputs(ctx, args, conf.target_column)
        contract = DataContract.infer(
            reference,
            features=list(conf.features),
            categorical=list(conf.categorical_features),
            id_column=conf.id_column,
            timestamp_column=conf.timestamp_column,
            target_column=conf.target_column,
            source=args.reference_uri,
        )
        contract = declared(contract, conf)
        validate_batch(reference, contract, source=args.reference_uri)
        validate_batch(production, contract.without(conf.target_column), source=args.production_uri)
        record_quality(ctx, reference, args.reference_uri)  # OpenLineage data-quality metrics
        record_quality(ctx, production, args.production_uri)
        local = Path(tempfile.mkdtemp()) / "contract.json"
        local.write_text(contract.to_json())
        uri = ctx.log_artifact(local, "contract")
        ctx.set_tags({"glassbox.validation": "passed"})
        ctx.log_metrics({"rows.reference": len(reference), "rows.production": len(production)})
        write_outputs(run_id=ctx.run_id, contract_uri=uri)


def declared(contract: DataContract, conf: DataSettings) -> DataContract:
    """Pin what the settings declare on top of what was inferred: numeric features must be
    numeric and no feature may be missing, whatever the reference happened to hold."""
    from glassbox.errors import DataValidationError

    columns = dict(contract.columns)
    for name in conf.numeric_features:
        col = columns[name]
        if col.kind != "numeric":
            raise DataValidationError(
                f"validate: column '{name}': expected numeric (declared in data.numeric_features)"
                f", got {col.dtype} in the reference data"
            )
    for name in conf.features:
        columns[name] = columns[name].model_copy(update={"nullable": False})
    return contract.model_copy(update={"columns": columns})


def cli() -> None:
    p = parser("validate", __doc__ or "")
    p.add_argument("--reference-uri", required=True)
    p.add_argument("--production-uri", required=True)
    main("validate", run, p.parse_args())


if __name__ == "__main__":
    cli()
