"""``run_monitor``: read both files, check, write ``monitor.json`` (+ the Evidently report).

``check`` is the in-process core: drift on every row (Glassbox's engine), quality against a
contract inferred from the reference, performance when target and probability are given, the
alerts the cron would raise, and optionally the Evidently report on a bounded sample. A stage
that fails unexpectedly raises ``CheckError`` naming the stage, never a bare library error.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from glassbox.check import _inputs, _quality
from glassbox.check._alerts import as_json
from glassbox.check._errors import CheckError, CheckInputError
from glassbox.check._options import MonitorOptions
from glassbox.check._report import column_entry, finding_json, worst, write_json
from glassbox.errors import GlassboxError

if TYPE_CHECKING:
    import pandas as pd

    from glassbox.check._inputs import Layout, Prepared
    from glassbox.check._performance import Performance
    from glassbox.drift import DriftResult, ReferenceProfile
    from glassbox.quality import DataContract, QualityFinding

REPORT_VERSION = 1
MONITOR_JSON = "monitor.json"


@dataclass(frozen=True)
class MonitorReport:
    """What a check found: ``document`` is the content of ``monitor.json``."""

    document: dict[str, Any]
    json_path: Path | None = None
    html_path: Path | None = None

    @property
    def flagged_features(self) -> list[str]:
        return list(self.document["flagged_features"])

    @property
    def alerts(self) -> list[dict[str, Any]]:
        return list(self.document["alerts"])

    @property
    def severity(self) -> str:
        return str(self.document["severity"])

    def summary(self) -> str:
        """One line for the terminal."""
        doc = self.document
        flagged = doc["flagged_features"]
        names = f" ({', '.join(flagged[:10])}{', ...' if len(flagged) > 10 else ''})"
        return (
            f"{len(flagged)} of {len(doc['features'])} feature(s) flagged"
            f"{names if flagged else ''}; {len(doc['alerts'])} alert(s), worst {doc['severity']};"
            f" concept drift: {'yes' if doc['concept_drift'] else 'no'}"
        )


@contextmanager
def _stage(name: str, timings: dict[str, float]) -> Iterator[None]:
    start = time.perf_counter()
    try:
        yield
    except GlassboxError:
        raise
    except Exception as exc:
        text = " ".join(str(exc).split())[:300]
        raise CheckError(f"monitor: {name} failed: {type(exc).__name__}: {text}") from exc
    finally:
        timings[name] = round(time.perf_counter() - start, 4)


def run_monitor(
    reference: Path | str,
    current: Path | str,
    out: Path | str,
    options: MonitorOptions,
    *,
    contract: Path | str | None = None,
) -> MonitorReport:
    """Check ``current`` against ``reference`` (CSV or Parquet); write ``out/monitor.json``
    (an earlier ``monitor.json`` there is removed first, so a failed run leaves none).
    ``contract``: a data contract JSON file the quality checks grade against."""
    from glassbox.quality import read_table

    out_dir = Path(out)
    if out_dir.exists() and not out_dir.is_dir():
        raise CheckError(f"--out {out_dir}: exists and is not a directory")
    # A run that fails must not leave an earlier run's result looking like its own.
    (out_dir / MONITOR_JSON).unlink(missing_ok=True)
    timings: dict[str, float] = {}
    with _stage("read", timings):
        frames = read_table(reference), read_table(current)
        agreed = _contract(Path(contract)) if contract is not None else None
    try:  # before the checks, not after them
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CheckError(f"--out {out_dir}: cannot create the directory ({exc.strerror})") from None
    report = check(
        *frames,
        options,
        out=out_dir,
        sources=(str(reference), str(current)),
        timings=timings,
        contract=agreed,
    )
    path = out_dir / MONITOR_JSON
    write_json(path, report.document)
    return MonitorReport(report.document, json_path=path, html_path=report.html_path)


def _contract(path: Path) -> DataContract:
    """The data contract in ``path`` (JSON, as the validate step logs ``contract.json``)."""
    from glassbox.errors import DataValidationError
    from glassbox.quality import DataContract

    try:
        text = path.read_bytes()
    except OSError as exc:
        raise CheckInputError(f"--contract {path}: cannot read it ({exc.strerror})") from None
    try:
        return DataContract.from_json(text, source=str(path))
    except DataValidationError as exc:
        raise CheckInputError(f"--contract: {exc}") from None


def check(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    options: MonitorOptions,
    *,
    out: Path | None = None,
    sources: tuple[str, str] = ("reference", "current"),
    timings: dict[str, float] | None = None,
    contract: DataContract | None = None,
) -> MonitorReport:
    """The checks on two frames; the Evidently report is written to ``out`` when
    ``options.report`` is on and ``out`` is given; quality against ``contract`` when given
    (else a contract inferred from the reference)."""
    timings = timings if timings is not None else {}
    begin = time.perf_counter()
    roles = options.roles
    with _stage("prepare", timings):
        lay = _inputs.layout(reference, current, roles, sources)
        prepared = _inputs.prepare(reference, current, lay)
    with _stage("drift", timings):
        profile, drift = _drift(prepared, lay, options)
    with _stage("quality", timings):
        found = _quality.findings(
            reference, current, lay, roles, options.quality_thresholds,
            source=sources[0], empty_reference=prepared.empty_reference, profile=profile,
            given=contract,
        )  # fmt: skip
    perf = None
    if roles.performance:
        with _stage("performance", timings):
            perf = _performance(prepared, lay, options, sources)
    evidently, html = None, None
    if options.report and out is not None:
        with _stage("evidently", timings):
            evidently, html = _evidently(prepared, lay, drift, options, out)
    timings["total"] = round(time.perf_counter() - begin + timings.get("read", 0.0), 4)
    doc = _document(
        lay,
        prepared=prepared,
        drift=drift,
        quality=found,
        perf=perf,
        evidently=evidently,
        options=options,
        sources=sources,
    )
    doc["timings"] = timings
    return MonitorReport(doc, html_path=html)


def _drift(
    prepared: Prepared, lay: Layout, options: MonitorOptions
) -> tuple[ReferenceProfile | None, DriftResult | None]:
    from glassbox.drift import DriftCalculator
    from glassbox.monitoring import check_drift, graded_result, monthly_shards

    features = [c for c in prepared.columns if c in lay.features]
    outputs = [c for c in prepared.columns if c in lay.outputs]
    if not features and not outputs:
        return None, None
    calculator = DriftCalculator(
        features,
        categorical=lay.of("categorical", prepared.columns),
        prediction_columns=outputs,
        thresholds=options.drift_thresholds,
        calibration=options.settings.calibration,
    ).fit(prepared.reference)
    # As the cron: the whole window and each month of it (with a timestamp) are graded.
    checked = check_drift(
        calculator,
        monthly_shards(prepared.current, options.roles.timestamp, calculator),
        min_partition_rows=options.settings.min_partition_rows,
    )
    return calculator.profile, graded_result(checked)


def _performance(
    prepared: Prepared, lay: Layout, options: MonitorOptions, sources: tuple[str, str]
) -> Performance:
    from glassbox.check._performance import chunk_size, performance
    from glassbox.monitoring import REFERENCE_CHUNKS

    size = chunk_size(options.chunk_size, options.nannyml, len(prepared.reference))
    if len(prepared.reference) // size < REFERENCE_CHUNKS:
        prepared.notes.append(
            f"performance: the reference makes {len(prepared.reference) // size} chunk(s) of "
            f"{size} rows; NannyML's multivariate drift limits from fewer than "
            f"{REFERENCE_CHUNKS} chunks are unreliable"
        )
    return performance(prepared, lay, options.roles, options.settings, size=size, sources=sources)


def _sample(frame: pd.DataFrame, rows: int, seed: int) -> pd.DataFrame:
    return frame if len(frame) <= rows else frame.sample(n=rows, random_state=seed)


def _evidently(
    prepared: Prepared,
    lay: Layout,
    drift: DriftResult | None,
    options: MonitorOptions,
    out: Path,
) -> tuple[dict[str, Any], Path | None]:
    """Evidently's DataDriftPreset + DataSummaryPreset report on at most ``evidently_rows`` rows
    per side. A column with no current value is left out (its drift is already critical). A
    failure of the report is recorded, not raised: the checks above have run."""
    from glassbox.monitoring import MonitoringError, evidently_report

    no_data = {f.name for f in drift or () if f.status == "no_data"}
    columns = tuple(c for c in prepared.columns if c not in no_data)
    cap, seed = options.evidently_rows, options.seed
    ref = _sample(prepared.reference.loc[:, list(columns)], cap, seed)
    cur = _sample(prepared.current.loc[:, list(columns)], cap, seed + 1)
    info: dict[str, Any] = {
        "reference_rows": len(ref),
        "current_rows": len(cur),
        "sampled": len(ref) < len(prepared.reference) or len(cur) < len(prepared.current),
        "columns": list(columns),
    }
    if not columns:
        return info | {"error": "no column with values on both sides"}, None
    try:
        made = evidently_report(
            ref, cur, lay.of("numeric", columns), lay.of("categorical", columns), out
        )
    except (MonitoringError, ValueError, TypeError, KeyError, ZeroDivisionError) as exc:
        text = " ".join(str(exc).split())[:300]
        return info | {"error": f"{type(exc).__name__}: {text}"}, None
    summary = made.summary
    return info | {
        "html": made.html_path.name,
        "json": made.json_path.name,
        "summary": made.summary_path.name,
        "drifted_columns": list(summary.drifted),
        "dataset_drift": summary.dataset_drift,
    }, made.html_path


def _document(
    lay: Layout,
    *,
    prepared: Prepared,
    drift: DriftResult | None,
    quality: list[QualityFinding],
    perf: Performance | None,
    evidently: dict[str, Any] | None,
    options: MonitorOptions,
    sources: tuple[str, str],
) -> dict[str, Any]:
    from glassbox import __version__
    from glassbox.monitoring import drift_to_findings, quality_to_findings, to_alerts

    problems = [f for f in quality if f.is_problem]
    by_column: dict[str, list[QualityFinding]] = {}
    for finding in problems:
        if finding.column is not None:
            by_column.setdefault(finding.column, []).append(finding)
    computed = {f.name: f for f in drift or ()}

    def entries(columns: tuple[str, ...]) -> dict[str, Any]:
        return {
            c: column_entry(lay.kinds[c], computed.get(c), by_column.get(c, [])) for c in columns
        }

    features, outputs = entries(lay.features), entries(lay.outputs)
    # A column with no current value is the quality check's all_nan_column alert, not drift.
    findings = drift_to_findings(drift or (), skip_no_data=True)
    findings += quality_to_findings(quality)
    if perf is not None:
        findings += perf.findings
    alerts = to_alerts(findings, options.model, problems_only=True)
    sampled = evidently is not None and evidently["sampled"]
    return {
        "version": REPORT_VERSION,
        "glassbox_version": __version__,
        "model": options.model,
        "reference": sources[0],
        "current": sources[1],
        "roles": options.roles.named(),
        "rows": {"reference": len(prepared.reference), "current": len(prepared.current)},
        "severity": worst(a.severity.value for a in alerts),
        "flagged_features": [c for c, e in features.items() if e["severity"] != "none"],
        "flagged_outputs": [c for c, e in outputs.items() if e["severity"] != "none"],
        "features": features,
        "predictions": outputs,
        "columns_only_in_reference": list(lay.only_reference),
        "columns_only_in_current": list(lay.only_current),
        "quality": [finding_json(f) for f in problems],
        "performance": perf.summary if perf is not None else None,
        "concept_drift": bool(perf is not None and perf.concept_drift),
        "alerts": [as_json(a) for a in alerts],
        "findings": [f.model_dump(mode="json") for f in findings],
        "drift": {
            "alpha": options.drift_thresholds.alpha,
            "thresholds": options.drift_thresholds.model_dump(mode="json"),
        },
        "evidently": evidently,
        "evidently_sample_rows": options.evidently_rows if sampled else None,
        "notes": prepared.notes,
    }
