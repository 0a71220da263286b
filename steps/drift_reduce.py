"""drift (reduce): merge the partition profiles, compute per-feature and prediction drift with
severities (static or history-based thresholds), and save Evidently's drift report."""

from __future__ import annotations

import argparse
from typing import Any

from steps._io import main, parser, write_outputs


def _history(hist: Any, names: tuple[str, ...]) -> dict[str, dict[str, list[float]]]:
    """Past windows' statistics from the history run (for dynamic thresholds)."""
    from glassbox.drift._history import METRICS

    client = hist.client()
    out: dict[str, dict[str, list[float]]] = {}
    for name in names:
        for metric in METRICS:
            points = client.get_metric_history(hist.run_id, f"drift.{name}.{metric}")
            if points:
                ordered = sorted(points, key=lambda m: m.step)
                out.setdefault(name, {})[metric] = [m.value for m in ordered]
    return out


RANK = {"none": 0, "warning": 1, "critical": 2}


def _worst_by_feature(
    result: Any, by_partition: list[dict[str, Any]], parts: list[Any]
) -> dict[str, str]:
    """A column's severity for the window: the worst of the whole window and of each graded
    partition, so a shift in the last months is not diluted by the months before it."""
    worst = {f.name: f.severity for f in result.features}
    for entry, part in zip(by_partition, parts, strict=True):
        if entry["graded"]:
            for f in part.features:
                if RANK[f.severity] > RANK[worst[f.name]]:
                    worst[f.name] = f.severity
    return worst


def _num(value: float) -> float | None:
    import math

    return value if math.isfinite(value) else None


def _shards(uris: list[str]) -> list[Any]:
    import tempfile

    import mlflow.artifacts

    from glassbox.drift import ShardProfile

    return [
        ShardProfile.load(mlflow.artifacts.download_artifacts(u, dst_path=tempfile.mkdtemp()))
        for u in uris
    ]


def run(args: argparse.Namespace) -> None:
    import json
    import tempfile
    from pathlib import Path

    from glassbox.config import settings
    from glassbox.cron import history
    from glassbox.data import read_artifact_table
    from glassbox.drift import DriftCalculator, merge
    from glassbox.monitoring import evidently_report
    from glassbox.tracking import step_run
    from steps._monitor import log_findings, reference

    conf = settings()
    data = conf.data
    with step_run("drift", seed=args.seed) as ctx:
        ref = reference(args.reference_run_id)
        profile = ref.profile()
        calculator = DriftCalculator.from_profile(profile)
        hist = history(ctx.experiment_id, conf.tracking.registered_model)
        uris = json.loads(args.shard_uris)
        shards = _shards(uris)
        result = calculator.calculate_from_profile(
            merge(shards), history=_history(hist, profile.names)
        )
        metrics = result.metrics()
        ctx.log_metrics(metrics)
        hist.log_window(metrics, hist.windows + 1)
        out = Path(tempfile.mkdtemp())
        (out / "drift.json").write_text(json.dumps(result.to_dict(), indent=2))
        ctx.log_artifact(out / "drift.json", "drift")
        # Drift over time inside the window: each partition on its own (step = partition).
        min_rows = conf.monitoring.min_partition_rows
        by_partition, parts = [], []
        for i, (uri, shard) in enumerate(zip(uris, shards, strict=True)):
            part = calculator.calculate_from_profile(shard)
            parts.append(part)
            big = part.n_current_rows >= min_rows
            ctx.log_metrics(part.metrics("partition"), step=i)
            by_partition.append(
                {
                    "index": i,
                    "partition": uri.rsplit("shard-", 1)[-1],
                    "rows": part.n_current_rows,
                    "graded": big,
                    "flagged": [f.name for f in part.flagged()] if big else [],
                }
            )
        (out / "drift_by_partition.json").write_text(json.dumps(by_partition, indent=2))
        ctx.log_artifact(out / "drift_by_partition.json", "drift")
        worst = _worst_by_feature(result, by_partition, parts)
        window = read_artifact_table(args.window_uri)
        report = evidently_report(
            ref.frame(list(data.features), part="train"),
            window,
            list(data.numeric_features),
            list(data.categorical_features),
            out / "evidently",
        )
        for f in (report.html_path, report.json_path, report.summary_path):
            ctx.log_artifact(f, "evidently")
        report_uri = ctx.artifact_uri(f"evidently/{report.html_path.name}")
        findings = [
            {
                "check": "prediction_drift" if f.kind == "prediction" else "data_drift",
                "feature": f.name,
                "severity": worst[f.name],
                "summary": f"{f.name}: PSI {f.psi:.3f}, JS {f.js_distance:.3f} "
                f"({f.n_current} rows vs {f.n_reference} reference)",
                "details": {
                    k: _num(getattr(f, k))
                    for k in ("psi", "js_distance", "ks_statistic", "p_value_adjusted")
                },
                "report_url": report_uri,
            }
            for f in result.features
        ]
        flagged = [name for name, sev in worst.items() if sev != "none"]
        flagged_by_partition = {p["partition"]: p["flagged"] for p in by_partition if p["flagged"]}
        ctx.set_tags(
            {
                "glassbox.drift.severity": max(worst.values(), key=RANK.__getitem__),
                "glassbox.drift.flagged": ",".join(flagged) or "none",
                "glassbox.drift.flagged_partitions": json.dumps(flagged_by_partition)[:4000],
                "glassbox.evidently.drifted": ",".join(report.summary.drifted) or "none",
            }
        )
        write_outputs(run_id=ctx.run_id, findings_uri=log_findings(ctx, "drift", findings))


def cli() -> None:
    p = parser("drift_reduce", __doc__ or "")
    p.add_argument("--window-uri", required=True)
    p.add_argument("--shard-uris", required=True, help="JSON list of shard profile URIs")
    p.add_argument("--reference-run-id", required=True)
    main("drift", run, p.parse_args())


if __name__ == "__main__":
    cli()
