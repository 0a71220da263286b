"""quality: data-quality checks of the window against the model's data contract (schema,
missing values, out-of-range, unseen categories, outliers, duplicate ids, empty window)."""

from __future__ import annotations

import argparse

from steps._io import main, parser, write_outputs


def run(args: argparse.Namespace) -> None:
    from glassbox.config import settings
    from glassbox.data import read_artifact_table
    from glassbox.lineage import log_input_dataset
    from glassbox.monitoring import check_window_quality, quality_to_findings
    from glassbox.tracking import ensure_experiment, step_run
    from steps._monitor import log_findings, reference

    conf = settings()
    with step_run("quality", seed=args.seed) as ctx:
        window = read_artifact_table(args.window_uri)
        if len(window):
            log_input_dataset(
                ctx, window, name="window", source=args.window_uri, context="monitoring"
            )
        ref = reference(args.reference_run_id)
        contract = ref.contract(ensure_experiment(conf.tracking.experiment))
        found = check_window_quality(
            window,
            contract,
            conf.monitoring.quality,
            ref.profile(),
            target=conf.data.target_column,
        )
        ctx.log_metrics(
            {
                f"quality.{f.check.split('.', 1)[-1]}.{f.column or 'table'}": float(f.observed)
                for f in found
                if isinstance(f.observed, int | float)
            }
        )
        findings = quality_to_findings(found)
        problems = sum(1 for f in found if f.severity != "none")
        ctx.set_tags({"glassbox.quality.problems": str(problems)})
        write_outputs(run_id=ctx.run_id, findings_uri=log_findings(ctx, "quality", findings))


def cli() -> None:
    p = parser("quality", __doc__ or "")
    p.add_argument("--window-uri", required=True)
    p.add_argument("--reference-run-id", required=True)
    main("quality", run, p.parse_args())


if __name__ == "__main__":
    cli()
