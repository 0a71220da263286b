"""Evidently adapter: the DataDriftPreset + DataSummaryPreset report of a window, as artifacts.

``evidently_report(reference, current, numeric, categorical, out_dir)`` writes
``<name>.html`` (the interactive report), ``<name>.json`` (Evidently's snapshot: metrics and
tests) and ``<name>_summary.json`` (our parsed per-column drift summary), and returns their paths
with the summary. ``parse_evidently_json`` rebuilds the summary from a saved snapshot, so a
logged artifact can be cross-checked against the NannyML and Glassbox drift results.

Evidently (~7 s to import) is imported inside ``evidently_report`` only.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

from glassbox.monitoring._errors import MonitoringError, MonitoringInputError
from glassbox.monitoring._frames import canonical_features, require_columns

if TYPE_CHECKING:
    import pandas as pd

_DRIFT_METRIC = "evidently:metric_v2:ValueDrift"
_COUNT_METRIC = "evidently:metric_v2:DriftedColumnsCount"
_ROWS_METRIC = "evidently:metric_v2:RowCount"


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class EvidentlyColumnDrift(_Frozen):
    """Evidently's drift verdict for one column (method and threshold as Evidently chose them)."""

    column: str
    method: str
    threshold: float | None
    score: float | None
    drift_detected: bool


class EvidentlySummary(_Frozen):
    columns: tuple[EvidentlyColumnDrift, ...]
    drifted_columns: int = Field(ge=0)
    drifted_share: float = Field(ge=0, le=1)
    drift_share: float
    dataset_drift: bool
    current_rows: int | None

    @property
    def drifted(self) -> tuple[str, ...]:
        return tuple(c.column for c in self.columns if c.drift_detected)

    def column(self, name: str) -> EvidentlyColumnDrift:
        for item in self.columns:
            if item.column == name:
                return item
        raise KeyError(f"no column {name!r} in the Evidently summary")


class EvidentlyReport(_Frozen):
    html_path: Path
    json_path: Path
    summary_path: Path
    summary: EvidentlySummary


def evidently_report(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    numeric: Sequence[str],
    categorical: Sequence[str],
    out_dir: Path | str,
    *,
    name: str = "evidently_report",
    drift_share: float = 0.5,
) -> EvidentlyReport:
    """Run DataDriftPreset + DataSummaryPreset on ``current`` against ``reference``."""
    if not 0 < drift_share <= 1:
        raise MonitoringInputError(f"evidently: drift_share must be in (0, 1], got {drift_share}")
    columns = [*numeric, *categorical]
    if not columns:
        raise MonitoringInputError("evidently: no columns given (numeric and categorical empty)")
    frames = []
    for what, frame in (("reference", reference), ("current", current)):
        require_columns(frame, columns, f"evidently {what}")
        frames.append(canonical_features(frame.loc[:, columns], numeric, categorical, what))
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    snapshot = _run(frames[0], frames[1], list(numeric), list(categorical), drift_share)
    html_path, json_path = out / f"{name}.html", out / f"{name}.json"
    summary_path = out / f"{name}_summary.json"
    snapshot.save_html(str(html_path))
    snapshot.save_json(str(json_path))
    summary = parse_evidently_json(json_path)
    summary_path.write_text(summary.model_dump_json(indent=2))
    return EvidentlyReport(
        html_path=html_path, json_path=json_path, summary_path=summary_path, summary=summary
    )


def _run(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    numeric: list[str],
    categorical: list[str],
    drift_share: float,
) -> Any:
    from evidently import DataDefinition, Dataset, Report
    from evidently.presets import DataDriftPreset, DataSummaryPreset

    definition = DataDefinition(numerical_columns=numeric, categorical_columns=categorical)
    report = Report(
        [DataDriftPreset(drift_share=drift_share), DataSummaryPreset()], include_tests=True
    )
    try:
        return report.run(
            Dataset.from_pandas(current, data_definition=definition),
            Dataset.from_pandas(reference, data_definition=definition),
        )
    except (ValueError, TypeError, KeyError) as exc:
        message = " ".join(str(exc).split())
        raise MonitoringError(f"evidently report: {type(exc).__name__}: {message}") from exc


def parse_evidently_json(source: Path | str | Mapping[str, Any]) -> EvidentlySummary:
    """Per-column drift (method, threshold, score, detected) from an Evidently snapshot JSON."""
    where = "snapshot" if isinstance(source, Mapping) else str(source)
    try:
        snapshot = source if isinstance(source, Mapping) else json.loads(Path(source).read_text())
        metrics, tests = snapshot["metrics"], snapshot["tests"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise MonitoringInputError(f"{where}: not an Evidently snapshot JSON ({exc})") from None
    status = {
        t["metric_config"]["metric_id"]: t["status"]
        for t in tests
        if t.get("id") == "drift" and "metric_config" in t
    }
    by_type: dict[str, list[Mapping[str, Any]]] = {}
    for metric in metrics:
        by_type.setdefault(metric["config"]["type"], []).append(metric)
    drift = by_type.get(_DRIFT_METRIC, [])
    counts = by_type.get(_COUNT_METRIC, [])
    if not drift or not counts:
        raise MonitoringInputError(f"{where}: no DataDriftPreset results (ValueDrift metrics)")
    missing = [m["config"]["column"] for m in drift if m["id"] not in status]
    if missing:
        raise MonitoringInputError(
            f"{where}: no drift test for column(s) {missing}; run the report with include_tests"
        )
    columns = tuple(
        EvidentlyColumnDrift(
            column=m["config"]["column"],
            method=str(m["config"].get("method")),
            threshold=_maybe_float(m["config"].get("threshold")),
            score=_maybe_float(m["value"]),
            drift_detected=status[m["id"]] == "FAIL",
        )
        for m in drift
    )
    count = counts[0]
    share = float(count["config"].get("drift_share", 0.5))
    rows = by_type.get(_ROWS_METRIC, [])
    return EvidentlySummary(
        columns=columns,
        drifted_columns=int(count["value"]["count"]),
        drifted_share=float(count["value"]["share"]),
        drift_share=share,
        dataset_drift=float(count["value"]["share"]) >= share,
        current_rows=int(rows[0]["value"]) if rows else None,
    )


def _maybe_float(value: Any) -> float | None:
    if value is None:
        return None
    out = float(value)
    return None if math.isnan(out) else out
