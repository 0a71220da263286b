"""explanation: SHAP on a sample of the window against the attributions the training run's
explain step logged: nDCG of the feature-reliance ranking and each feature's attribution shift,
calibrated on the reference (explanation drift)."""

from __future__ import annotations

import argparse

from steps._io import main, parser, write_outputs


def run(args: argparse.Namespace) -> None:
    from glassbox.config import settings
    from glassbox.cron import history
    from glassbox.data import read_artifact_table
    from glassbox.monitoring import attributions, check_explanation
    from glassbox.tracking import ensure_experiment, step_run
    from steps._monitor import log_findings, reference

    conf = settings()
    options = conf.monitoring.explanation
    seed = 0 if args.seed is None else args.seed
    with step_run("explanation", seed=seed) as ctx:
        findings = []
        if options.enabled:
            window = read_artifact_table(args.window_uri)
            ref = reference(args.reference_run_id)
            rows = min(options.sample_rows, len(window))
            sample = window.sample(n=rows, random_state=seed % 2**32)
            current = attributions(ref.model(), sample, list(conf.data.features))
            baseline = ref.attributions(ensure_experiment(conf.tracking.experiment))
            checked = check_explanation(baseline, current, options, conf.monitoring.calibration)
            metrics = checked.metrics()
            ctx.log_metrics(metrics | {"explanation.sample_rows": rows})
            hist = history(ctx.experiment_id, conf.tracking.registered_model)
            hist.log_window(metrics, hist.windows + 1)
            ctx.set_tags({"glassbox.explanation.ndcg": f"{checked.ndcg:.4f}"})
            findings = checked.findings
        write_outputs(run_id=ctx.run_id, findings_uri=log_findings(ctx, "explanation", findings))


def cli() -> None:
    p = parser("explanation", __doc__ or "")
    p.add_argument("--window-uri", required=True)
    p.add_argument("--reference-run-id", required=True)
    main("explanation", run, p.parse_args())


if __name__ == "__main__":
    cli()
