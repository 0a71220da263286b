"""score: predictions for the production batch with the champion model, and their audit.

Every prediction gets a SHA-256 audit hash (HMAC-SHA256 when ``GLASSBOX_AUDIT_HMAC_KEY`` is
set) over the canonical encoding of (features as the model saw them, model fingerprint, the
record's own event timestamp, prediction id, prediction); the batch's hashes are chained. The
audit table holds hashes, ids, model identity and predictions, never feature values. The
predictions file (``predictions/predictions.parquet``) is the prediction log the monitoring
cron reads.

Data without an id column is audited under derived ids (``row_id``); without a timestamp
column each prediction's event time is the time it was scored (``scored_at``, one value per
batch); see glassbox.features.
"""

from __future__ import annotations

import argparse

from steps._io import main, parser, write_outputs


def _summary(outputs: dict[str, object]) -> dict[str, float]:
    """The batch's prediction metrics: a classifier's mean probability and positive rate, a
    regressor's mean prediction."""
    import numpy as np

    from glassbox import model as gm

    if gm.PROBA in outputs:
        proba = np.asarray(outputs[gm.PROBA])
        return {
            "prediction.mean_proba": float(proba.mean()),
            "prediction.positive_rate": float((proba >= 0.5).mean()),
        }
    return {"prediction.mean": float(np.mean(np.asarray(outputs[gm.LABEL])))}


def run(args: argparse.Namespace) -> None:
    import tempfile
    from pathlib import Path

    from glassbox import audit, registry
    from glassbox import model as gm
    from glassbox.config import settings
    from glassbox.data import read_artifact_table
    from glassbox.features import SCORED_AT, event_time_name, id_name, prepare
    from glassbox.lineage import MODEL_RUN_TAG, log_input_dataset, log_output_dataset
    from glassbox.tracking import step_run

    conf = settings()
    data = conf.data
    with step_run("score", seed=args.seed) as ctx:
        champion = registry.require_champion(
            conf.tracking.registered_model, conf.tracking.champion_alias
        )
        raw = read_artifact_table(args.production_uri)
        log_input_dataset(
            ctx, raw, name="raw-production", source=args.production_uri, context="scoring"
        )
        batch = prepare(raw, data)
        if not data.timestamp_column:
            batch[SCORED_AT] = _now()
        model = registry.load(champion.uri)
        outputs = gm.outputs(model, gm.features_frame(batch, data))
        predictions = batch.assign(**outputs)
        key = audit.key_from_env()
        audited = audit.build_audit(
            batch,
            predictions[list(outputs)],
            feature_columns=list(data.features),
            id_column=id_name(data),
            timestamp_column=event_time_name(data),
            model=audit.ModelIdentity(champion.name, champion.version, champion.fingerprint),
            batch_id=ctx.run_id,
            key=key,
        )
        audit.log_audit(audited.table, audited.manifest)
        predictions = predictions.assign(
            model_name=champion.name,
            model_version=champion.version,
            model_fingerprint=champion.fingerprint,
        )
        local = Path(tempfile.mkdtemp()) / "predictions.parquet"
        predictions.to_parquet(local, index=False)
        uri = ctx.log_artifact(local, "predictions")
        log_output_dataset(ctx, predictions, name="predictions", uri=uri)
        ctx.set_tags(champion.tags() | {MODEL_RUN_TAG: champion.run_id})
        ctx.log_metrics({"rows.scored": len(predictions)} | _summary(outputs))
        ctx.log_params(
            {
                "audit.hash_alg": audited.manifest.hash_alg,
                "audit.encoding_version": audited.manifest.encoding_version,
            }
        )
        write_outputs(run_id=ctx.run_id, predictions_uri=uri, audit_root=audited.manifest.root)


def _now() -> object:
    """This moment in UTC (naive, microseconds), as the prepared frames hold times."""
    import pandas as pd

    return pd.Timestamp.now(tz="UTC").tz_localize(None).floor("us")


def cli() -> None:
    p = parser("score", __doc__ or "")
    p.add_argument("--production-uri", required=True, help="raw production batch (extract)")
    main("score", run, p.parse_args())


if __name__ == "__main__":
    cli()
