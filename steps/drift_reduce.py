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
        result = calculator.calculate_from_profile(
            merge(_shards(json.loads(args.shard_uris))), history=_history(hist, profile.names)
        )
        metrics = result.metrics()
        ctx.log_metrics(metrics)
        hist.log_window(metrics, hist.windows + 1)
        out = Path(tempfile.mkdtemp())
        (out / "drift.json").write_text(json.dumps(result.to_dict(), indent=2))
        ctx.log_artifact(out / "drift.json", "drift")
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
        findings = [
            {
                "check": "prediction_drift" if f.kind == "prediction" else "data_drift",
                "feature": f.name,
                "severity": f.severity,
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
        ctx.set_tags(
            {
                "glassbox.drift.severity": result.severity,
                "glassbox.drift.flagged": ",".join(f.name for f in result.flagged()) or "none",
                "glassbox.evidently.drifted": ",".join(report.summary.drifted()) or "none",
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
