"""window: the production predictions scored since the last processed watermark, joined with
the targets that have arrived, written as one Parquet plus one per month (the fan-out items)."""

from __future__ import annotations

import argparse

from steps._io import main, parser, write_outputs

ONE_PARTITION = (
    "one partition 'all': the data has no timestamp column (data.timestamp_column is null), "
    "so there are no months to split the window by"
)


def run(args: argparse.Namespace) -> None:
    import json
    import tempfile
    from pathlib import Path

    from glassbox.config import settings
    from glassbox.cron import (
        collect_window,
        history,
        load_reference,
        partitions,
        record_label_arrivals,
    )
    from glassbox.features import event_time_name, id_name
    from glassbox.lineage import log_output_dataset
    from glassbox.tracking import ensure_experiment, step_run

    conf = settings()
    data = conf.data
    with step_run("window", seed=args.seed) as ctx:
        ref = load_reference(conf.tracking.registered_model, conf.tracking.champion_alias)
        hist = history(ctx.experiment_id, conf.tracking.registered_model)
        training = ensure_experiment(conf.tracking.experiment)
        window = collect_window(
            training,
            data,
            hist.watermark,
            args.max_rows,
            arrival_column=conf.monitoring.labels.arrival_column,
        )
        tmp = Path(tempfile.mkdtemp())
        local = tmp / "window.parquet"
        window.frame.to_parquet(local, index=False)
        uri = ctx.log_artifact(local, "window")
        items = []
        if not window.empty:
            log_output_dataset(
                ctx, window.frame, name="window", uri=uri, targets=data.target_column
            )
            if not data.timestamp_column:
                print(f"window: {ONE_PARTITION}")
                ctx.set_tags({"glassbox.monitor.partitioning": ONE_PARTITION})
            for part in partitions(window.frame, data.timestamp_column, tmp / "partitions"):
                part_uri = ctx.log_artifact(Path(part["path"]), "window/partitions")
                items.append({"partition": part["partition"], "uri": part_uri})
        arrived = int(window.frame[data.target_column].notna().sum()) if not window.empty else 0
        ctx.log_metrics(
            {
                "window.rows": len(window.frame),
                "window.partitions": len(items),
                "window.targets_arrived": arrived,
            }
        )
        labels = conf.monitoring.labels
        if not (labels.arrival_column and labels.arrival_column in window.frame.columns):
            # No arrival times in the targets: the cron observes when labels arrive.
            arrivals = record_label_arrivals(
                hist, window, id_name(data), max_wait_days=labels.max_wait_days
            )
            ctx.log_metrics(arrivals.metrics())
            hist.log_window(arrivals.metrics(), hist.windows + 1)
            ctx.set_tags(arrivals.tags())
        ctx.set_tags(
            {
                "glassbox.monitor.window_from": window.watermark_before or "start",
                "glassbox.monitor.window_to": window.watermark_after(event_time_name(data))
                or "none",
                "glassbox.monitor.history_run": hist.run_id,
                "glassbox.model.run_id": ref.train_run_id,
                "glassbox.monitor.sources": ",".join(window.sources)[:4000],
            }
        )
        write_outputs(
            run_id=ctx.run_id,
            window_uri=uri,
            partitions=json.dumps(items),
            empty="true" if window.empty else "false",
            reference_run_id=ref.train_run_id,
        )


def cli() -> None:
    p = parser("window", __doc__ or "")
    p.add_argument("--max-rows", type=int, default=0, help="cap on window rows (0 = all)")
    main("window", run, p.parse_args())


if __name__ == "__main__":
    cli()
