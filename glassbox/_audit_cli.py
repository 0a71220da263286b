"""``glassbox audit verify``: was a prediction recorded, where and by which model; are the
recorded chains intact? (The typer wiring is in glassbox.cli; the logic is here.)"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from glassbox.errors import GlassboxError


@dataclass
class Outcome:
    lines: list[str] = field(default_factory=list)
    ok: bool = True

    def add(self, line: str, ok: bool = True) -> None:
        self.lines.append(line)
        self.ok = self.ok and ok


def _tables(run_ids: list[str] | None) -> list[tuple[str, Any, Any]]:
    """Batch audits of score runs and the segments of serving runs (glassbox serve)."""
    from glassbox.audit import load_audit_tables, load_segment_tables
    from glassbox.config import settings
    from glassbox.tracking import configure

    configure()
    conf = settings()
    if run_ids:
        serving, batch = _split_serving(run_ids)
        tables = load_audit_tables(run_ids=batch) if batch else []
        tables += load_segment_tables(run_ids=serving) if serving else []
    else:
        tables = load_audit_tables(experiment_names=[conf.tracking.experiment])
        if _experiment_exists(conf.serving.experiment):
            tables += load_segment_tables(experiment_names=[conf.serving.experiment])
    if not tables:
        raise GlassboxError(
            "no audit tables found in the tracking store (has a score step or glassbox serve run?)"
        )
    return tables


def _split_serving(run_ids: list[str]) -> tuple[list[str], list[str]]:
    import mlflow
    from mlflow.exceptions import MlflowException

    from glassbox.audit import has_segments

    serving: list[str] = []
    batch: list[str] = []
    client = mlflow.MlflowClient()
    for run_id in run_ids:
        try:
            run = client.get_run(run_id)
        except MlflowException:
            raise GlassboxError(f"run {run_id}: not found in the tracking store") from None
        (serving if has_segments(run) else batch).append(run_id)
    return serving, batch


def _experiment_exists(name: str) -> bool:
    import mlflow

    return mlflow.MlflowClient().get_experiment_by_name(name) is not None


def verify_chains(tables: list[tuple[str, Any, Any]], out: Outcome) -> None:
    from glassbox.audit import key_from_env, verify_chain

    key = key_from_env()
    for source, table, manifest in tables:
        report = verify_chain(table, manifest, key=key)
        out.add(f"chain {source}: {report.summary()}", report.ok)
        for problem in report.problems[:10]:
            out.add(f"  {problem.message}", False)


def verify_table_file(table_path: Path, manifest_path: Path, out: Outcome) -> None:
    import pandas as pd

    from glassbox.audit import AuditManifest

    for p in (table_path, manifest_path):
        if not p.is_file():
            raise GlassboxError(f"{p}: file not found")
    manifest = AuditManifest.from_json(manifest_path.read_text())
    verify_chains([(str(table_path), pd.read_parquet(table_path), manifest)], out)


def verify_row(row_json: str, tables: list[tuple[str, Any, Any]], out: Outcome) -> None:
    """One row: its features (as in the data file; cast as the score step casts them), plus its
    id and timestamp when the data has those columns (else derived / looked up)."""
    from glassbox.audit import find_row, key_from_env
    from glassbox.config import settings

    data = settings().data
    try:
        row = json.loads(row_json)
    except json.JSONDecodeError as exc:
        raise GlassboxError(f"--row: not valid JSON ({exc.msg} at char {exc.pos})") from None
    if not isinstance(row, dict):
        raise GlassboxError("--row: expected a JSON object of column → value")
    roles = [c for c in (data.id_column, data.timestamp_column) if c]
    missing = [c for c in [*roles, *data.features] if c not in row]
    if missing:
        what = " and ".join(["every feature", *(f"'{c}'" for c in roles)])
        raise GlassboxError(f"--row: missing {missing} (needs {what})")
    match = find_row(
        _model_ready(row, data),
        tables,
        key=key_from_env(),
        prediction_id=row[data.id_column] if data.id_column else None,
        event_timestamp=row[data.timestamp_column] if data.timestamp_column else None,
    )
    line = match.describe()
    if match.status == "not_found" and not data.id_column:
        line += " (the data has no id column: ids are derived from the features, so no "
        line += "prediction was recorded for exactly these inputs)"
    out.add(line, match.status == "recorded")


def _model_ready(row: dict[str, Any], data: Any) -> dict[str, Any]:
    """The row's features with the dtypes the score step gave them (glassbox.features)."""
    import pandas as pd

    from glassbox.features import canonical_features

    frame = pd.DataFrame([{f: row[f] for f in data.features}])
    for column in data.numeric_features:
        try:
            frame[column].astype("float64")
        except (TypeError, ValueError):
            raise GlassboxError(
                f"--row: column '{column}': expected a number, got {row[column]!r}"
            ) from None
    ready: dict[str, Any] = canonical_features(frame, data).iloc[0].to_dict()
    return ready


def verify_scored(path: Path, tables: list[tuple[str, Any, Any]], out: Outcome) -> None:
    from glassbox.audit import key_from_env, verify_scored_file
    from glassbox.config import settings
    from glassbox.features import event_time_name, id_name, row_ids
    from glassbox.quality import read_table

    data = settings().data
    df = read_table(path)
    preds = [c for c in ("y_pred_proba", "y_pred") if c in df.columns]
    if id_name(data) not in df.columns and not data.id_column:
        df[id_name(data)] = row_ids(df, data)  # a file of the user's own, without the ids
    report = verify_scored_file(
        df,
        tables,
        feature_columns=list(data.features),
        id_column=id_name(data),
        timestamp_column=event_time_name(data),
        key=key_from_env(),
        prediction_columns=preds or None,
    )
    out.add(f"{path}: {report.summary()}", report.ok)
    bad = report.results[report.results["status"] != "recorded"].head(10)
    for _, r in bad.iterrows():
        out.add(f"  row {r.get('row', '?')} id {r.get('prediction_id', '?')}: {r['status']}", False)
