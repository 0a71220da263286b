"""drift (reduce): merge the partition profiles, grade per-feature and prediction drift for the
whole window and each month (calibrated, static or history-based thresholds from the settings),
and save Evidently's drift report."""

from __future__ import annotations

import argparse
from typing import Any

from steps._io import main, parser, write_outputs


def _history(hist: Any, names: tuple[str, ...]) -> dict[str, dict[str, list[float]]]:
    """Past windows' statistics from the history run (for dynamic thresholds)."""
    from glassbox.drift import HISTORY_METRICS

    client = hist.client()
    out: dict[str, dict[str, list[float]]] = {}
    for name in names:
        for metric in HISTORY_METRICS:
            points = client.get_metric_history(hist.run_id, f"drift.{name}.{metric}")
            if points:
                ordered = sorted(points, key=lambda m: m.step)
                out.setdefault(name, {})[metric] = [m.value for m in ordered]
    return out


def _shards(uris: list[str]) -> list[Any]:
    import tempfile

    import mlflow.artifacts

    from glassbox.drift import ShardProfile

    return [
        (
            u.rsplit("shard-", 1)[-1],
            ShardProfile.load(mlflow.artifacts.download_artifacts(u, dst_path=tempfile.mkdtemp())),
        )
        for u in uris
    ]


def run(args: argparse.Namespace) -> None:
    import json
    import tempfile
    from pathlib import Path

    from glassbox.config import settings
    from glassbox.cron import history
    from glassbox.data import read_artifact_table
    from glassbox.drift import DriftCalculator
    from glassbox.monitoring import check_drift, evidently_report
    from glassbox.tracking import step_run
    from steps._monitor import log_findings, reference

    conf = settings()
    data = conf.data
    with step_run("drift", seed=args.seed) as ctx:
        ref = reference(args.reference_run_id)
        profile = ref.profile()
        calculator = DriftCalculator.from_profile(profile, conf.monitoring.drift_thresholds)
        hist = history(ctx.experiment_id, conf.tracking.registered_model)
        checked = check_drift(
            calculator,
            _shards(json.loads(args.shard_uris)),
            min_partition_rows=conf.monitoring.min_partition_rows,
            history=_history(hist, profile.names),
        )
        metrics = checked.result.metrics()
        ctx.log_metrics(metrics)
        hist.log_window(metrics, hist.windows + 1)
        out = Path(tempfile.mkdtemp())
        (out / "drift.json").write_text(json.dumps(checked.result.to_dict(), indent=2))
        ctx.log_artifact(out / "drift.json", "drift")
        for i, part in enumerate(checked.partitions):  # drift over time (step = partition)
            ctx.log_metrics(part.result.metrics("partition"), step=i)
        by_partition = [p.summary(i) for i, p in enumerate(checked.partitions)]
        (out / "drift_by_partition.json").write_text(json.dumps(by_partition, indent=2))
        ctx.log_artifact(out / "drift_by_partition.json", "drift")
        window = read_artifact_table(args.window_uri)
        report = evidently_report(
            ref.frame(list(data.features)),
            window,
            list(data.numeric_features),
            list(data.categorical_features),
            out / "evidently",
        )
        for f in (report.html_path, report.json_path, report.summary_path):
            ctx.log_artifact(f, "evidently")
        report_uri = ctx.artifact_uri(f"evidently/{report.html_path.name}")
        flagged_by_partition = {p["partition"]: p["flagged"] for p in by_partition if p["flagged"]}
        ctx.set_tags(
            {
                "glassbox.drift.severity": checked.severity,
                "glassbox.drift.flagged": ",".join(checked.flagged) or "none",
                "glassbox.drift.flagged_partitions": json.dumps(flagged_by_partition)[:4000],
                "glassbox.evidently.drifted": ",".join(report.summary.drifted) or "none",
            }
        )
        findings = checked.findings(report_uri)
        write_outputs(run_id=ctx.run_id, findings_uri=log_findings(ctx, "drift", findings))


def cli() -> None:
    p = parser("drift_reduce", __doc__ or "")
    p.add_argument("--window-uri", required=True)
    p.add_argument("--shard-uris", required=True, help="JSON list of shard profile URIs")
    p.add_argument("--reference-run-id", required=True)
    main("drift", run, p.parse_args())


if __name__ == "__main__":
    cli()
