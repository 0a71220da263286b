"""performance: NannyML per-chunk univariate and multivariate (PCA reconstruction) drift, CBPE
estimated performance without labels, realized performance for the targets that have arrived,
and the window's verdict (covariate shift, concept drift, ...)."""

from __future__ import annotations

import argparse
from typing import Any

from steps._io import main, parser, write_outputs

METRIC = "roc_auc"


def _findings(result: Any, verdict: Any, report_uri: str) -> list[dict[str, Any]]:
    est = result.estimated_drop_chunks(METRIC)
    real = result.realized_drop_chunks(METRIC)
    # Passing checks are reported too (severity none): they resolve alerts that are still open.
    findings = [
        {
            "check": check,
            "feature": None,
            "severity": "none",
            "summary": f"{check}: ok",
            "details": {},
            "report_url": report_uri,
        }
        for check, bad in (
            ("estimated_performance", est),
            ("performance", real),
            ("concept_drift", verdict.kind == "concept_drift"),
        )
        if not bad
    ]
    if est:
        findings.append(
            {
                "check": "estimated_performance",
                "feature": None,
                "severity": "critical" if real else "warning",
                "summary": f"CBPE estimated {METRIC} below its threshold in chunks {list(est)}",
                "details": {"chunks": len(est)},
                "report_url": report_uri,
            }
        )
    if real:
        findings.append(
            {
                "check": "performance",
                "feature": None,
                "severity": "critical",
                "summary": f"realized {METRIC} below its threshold in chunks {list(real)}",
                "details": {"chunks": len(real)},
                "report_url": report_uri,
            }
        )
    if verdict.kind == "concept_drift":
        findings.append(
            {
                "check": "concept_drift",
                "feature": None,
                "severity": "critical",
                "summary": verdict.reason,
                "details": {},
                "report_url": report_uri,
            }
        )
    return findings


def run(args: argparse.Namespace) -> None:
    import tempfile
    from pathlib import Path

    from glassbox.config import settings
    from glassbox.cron import history
    from glassbox.data import read_artifact_table
    from glassbox.monitoring import NannyMonitor, classify_window
    from glassbox.tracking import step_run
    from steps._monitor import log_findings, reference

    conf = settings()
    data = conf.data
    with step_run("performance", seed=args.seed) as ctx:
        window = read_artifact_table(args.window_uri)
        ref = reference(args.reference_run_id)
        monitor = NannyMonitor(data, conf.monitoring.nannyml).fit(ref.frame(list(data.features)))
        result = monitor.calculate(window)
        verdict = classify_window(result, METRIC)
        out = Path(tempfile.mkdtemp())
        (out / "nannyml.json").write_text(result.model_dump_json(indent=2))
        (out / "verdict.json").write_text(verdict.model_dump_json(indent=2))
        ctx.log_artifact(out / "nannyml.json", "nannyml")
        ctx.log_artifact(out / "verdict.json", "nannyml")
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
        ctx.log_metrics(metrics | window_metrics)
        hist = history(ctx.experiment_id, conf.tracking.registered_model)
        hist.log_window(window_metrics, hist.windows + 1)
        ctx.set_tags(
            {
                "glassbox.monitor.verdict": verdict.kind,
                "glassbox.monitor.verdict_reason": verdict.reason[:4000],
            }
        )
        findings = _findings(result, verdict, ctx.artifact_uri("nannyml/nannyml.json"))
        write_outputs(run_id=ctx.run_id, findings_uri=log_findings(ctx, "performance", findings))


def cli() -> None:
    p = parser("performance", __doc__ or "")
    p.add_argument("--window-uri", required=True)
    p.add_argument("--reference-run-id", required=True)
    main("performance", run, p.parse_args())


if __name__ == "__main__":
    cli()
