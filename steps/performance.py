"""performance: NannyML per-chunk univariate and multivariate (PCA reconstruction) drift, CBPE
estimated performance without labels, realized performance for the targets that have arrived,
each chunk judged against thresholds calibrated on the reference, the configured performance
rules, and the window's verdict (covariate shift, concept drift, ...)."""

from __future__ import annotations

import argparse

from steps._io import main, parser, write_outputs


def run(args: argparse.Namespace) -> None:
    import tempfile
    from pathlib import Path

    from glassbox.config import settings
    from glassbox.cron import history
    from glassbox.data import read_artifact_table
    from glassbox.monitoring import check_performance
    from glassbox.tracking import step_run
    from steps._monitor import log_findings, reference

    conf = settings()
    data = conf.data
    with step_run("performance", seed=args.seed) as ctx:
        window = read_artifact_table(args.window_uri)
        ref = reference(args.reference_run_id)
        checked = check_performance(
            ref.frame(list(data.features)),
            window,
            data,
            conf.monitoring.for_task(ref.task),
            report_url=ctx.artifact_uri("nannyml/nannyml.json"),
        )
        result, verdict = checked.result, checked.verdict
        out = Path(tempfile.mkdtemp())
        (out / "nannyml.json").write_text(result.model_dump_json(indent=2))
        (out / "verdict.json").write_text(verdict.model_dump_json(indent=2))
        (out / "baseline.json").write_text(checked.baseline.model_dump_json(indent=2))
        for name in ("nannyml.json", "verdict.json", "baseline.json"):
            ctx.log_artifact(out / name, "nannyml")
        metrics: dict[str, float] = {}
        for chunk in result.chunks:
            for kind, values in (("estimated", chunk.estimated), ("realized", chunk.realized)):
                for v in values:
                    if v.value is not None:
                        metrics[f"{kind}.{v.metric}.chunk{chunk.index:03d}"] = v.value
        last = result.chunks[-1] if result.chunks else None
        window_metrics = {}
        if last is not None:
            for kind, values in (("estimated", last.estimated), ("realized", last.realized)):
                window_metrics |= {
                    f"{kind}.{v.metric}": v.value for v in values if v.value is not None
                }
        labels = checked.labels.metrics if checked.labels else {}
        ctx.log_metrics(metrics | window_metrics | labels)
        hist = history(ctx.experiment_id, conf.tracking.registered_model)
        hist.log_window(window_metrics | labels, hist.windows + 1)
        ctx.set_tags(
            {
                "glassbox.monitor.verdict": verdict.kind,
                "glassbox.monitor.verdict_reason": verdict.reason[:4000],
            }
        )
        findings = log_findings(ctx, "performance", checked.findings)
        write_outputs(run_id=ctx.run_id, findings_uri=findings)


def cli() -> None:
    p = parser("performance", __doc__ or "")
    p.add_argument("--window-uri", required=True)
    p.add_argument("--reference-run-id", required=True)
    main("performance", run, p.parse_args())


if __name__ == "__main__":
    cli()
