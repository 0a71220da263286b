"""Find a prediction in the audit tables and follow its record back to code and data."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import re
from typing import Any

from glassbox.errors import GlassboxError
from glassbox.trace._models import (
    ChainCheck,
    DatasetLink,
    ModelLink,
    PredictionRecord,
    RunRecord,
    Trace,
)

_HASH = re.compile(r"^[0-9a-f]{64}$")


class PredictionNotFoundError(GlassboxError):
    """No audit record matches the query."""


def _iso(millis: int | None) -> str | None:
    if not millis:
        return None
    return dt.datetime.fromtimestamp(millis / 1000, tz=dt.UTC).isoformat(timespec="seconds")


def run_record(run: Any) -> RunRecord:
    """The code, environment and orchestration tags of a run, named."""
    tags, params = run.data.tags, run.data.params
    dirty = tags.get("glassbox.git.dirty")
    return RunRecord(
        run_id=run.info.run_id,
        step=tags.get("glassbox.step") or tags.get("glassbox.run_kind") or run.info.run_name or "",
        status=run.info.status,
        start_time=_iso(run.info.start_time),
        commit=tags.get("mlflow.source.git.commit"),
        dirty=None if dirty is None else dirty == "true",
        code_source=tags.get("glassbox.git.source"),
        lock_sha256=tags.get("glassbox.lock.sha256"),
        image=tags.get("glassbox.image"),
        executor=tags.get("glassbox.executor"),
        workflow_name=tags.get("glassbox.workflow_name"),
        workflow_uid=tags.get("glassbox.workflow_uid"),
        pipeline_run_id=tags.get("mlflow.parentRunId"),
        pod=tags.get("argo.node.pod_name") or tags.get("glassbox.pod_name"),
        seed=params.get("seed"),
    )


class _Runs:
    """Runs read once each."""

    def __init__(self) -> None:
        import mlflow

        self.client = mlflow.MlflowClient()
        self._runs: dict[str, Any] = {}

    def get(self, run_id: str) -> Any:
        if run_id not in self._runs:
            self._runs[run_id] = self.client.get_run(run_id)
        return self._runs[run_id]

    def record(self, run_id: str | None) -> RunRecord | None:
        from mlflow.exceptions import MlflowException

        if not run_id:
            return None
        try:
            return run_record(self.get(run_id))
        except MlflowException:
            return None


def _matches(query: str, tables: list[tuple[str, Any, Any]]) -> list[tuple[int, int, str]]:
    """(table index, row, matched_by) of every audit record the query names."""
    text = query.strip()
    if text.startswith("{"):
        return _row_matches(text, tables)
    out = []
    columns = ("record_hash", "chain_hash") if _HASH.match(text.lower()) else ("prediction_id",)
    value = text.lower() if len(columns) == 2 else text
    for i, (_, table, _) in enumerate(tables):
        for column in columns:
            hits = table.index[table[column].astype(str) == value].tolist()
            out += [(i, int(table.index.get_loc(h)), column) for h in hits]
    return out


def _row_matches(text: str, tables: list[tuple[str, Any, Any]]) -> list[tuple[int, int, str]]:
    """The record of a scored row (its features, plus its id and timestamp when the data has
    those columns), found as ``glassbox audit verify --row`` finds it."""
    from glassbox._audit_cli import _model_ready
    from glassbox.audit import find_row, key_from_env
    from glassbox.config import settings

    data = settings().data
    try:
        row = json.loads(text)
    except json.JSONDecodeError as exc:
        raise GlassboxError(f"row: not valid JSON ({exc.msg} at char {exc.pos})") from None
    roles = [c for c in (data.id_column, data.timestamp_column) if c]
    missing = [c for c in [*roles, *data.features] if not isinstance(row, dict) or c not in row]
    if missing:
        raise GlassboxError(f"row: missing {missing} (needs every feature and {roles})")
    sources = [(run_id, table) for run_id, table, _ in tables]
    match = find_row(
        _model_ready(row, data),
        sources,
        key=key_from_env(),
        prediction_id=row[data.id_column] if data.id_column else None,
        event_timestamp=row[data.timestamp_column] if data.timestamp_column else None,
    )
    if match.location is None:
        raise PredictionNotFoundError(f"not found: {match.describe()}")
    index = [run_id for run_id, _ in sources].index(match.location.source)
    return [(index, match.location.seq, "row")]


def _chain(table: Any, manifest: Any) -> ChainCheck:
    from glassbox.audit import AuditError, key_from_env, verify_chain

    try:
        report = verify_chain(table, manifest, key=key_from_env())
    except AuditError as exc:
        return ChainCheck(ok=False, records=len(table), root=manifest.root, problems=[str(exc)])
    return ChainCheck(
        ok=report.ok,
        records=len(table),
        root=manifest.root,
        problems=[p.message for p in report.problems[:5]],
    )


def _model(runs: _Runs, row: Any, score: Any) -> tuple[ModelLink, str | None]:
    """The model version that made the prediction and its training run."""
    from mlflow.exceptions import MlflowException

    name, version = str(row["model_name"]), str(row["model_version"])
    registered = None
    with contextlib.suppress(MlflowException):
        registered = runs.client.get_model_version(name, version).run_id
    train_id = registered or score.data.tags.get("glassbox.model.run_id")
    trained = None
    if train_id:
        trained = runs.get(train_id).data.tags.get("glassbox.model.fingerprint")
    link = ModelLink(
        name=name,
        version=version,
        fingerprint=str(row["model_fingerprint"]),
        registered_run_id=registered,
        training_fingerprint=trained,
    )
    return link, train_id


def _datasets(runs: _Runs, score_run_id: str) -> list[DatasetLink]:
    """Every dataset consumed upstream of the score run (its own inputs, the model's training
    inputs, and theirs), each with the run that produced it."""
    from glassbox.lineage import Node, lineage

    out: list[DatasetLink] = []
    seen: set[str] = set()

    def walk(node: Node) -> None:
        if node.run_id in seen:
            return
        seen.add(node.run_id)
        for entry in node.inputs:
            out.append(
                DatasetLink(
                    consumer_run_id=node.run_id,
                    name=entry["name"],
                    digest=entry["digest"],
                    source=entry["source"],
                    context=entry["context"],
                    produced_by=runs.record(entry["produced_by_run"] or None),
                )
            )
        for parent in node.parents:
            walk(parent)

    walk(lineage(score_run_id))
    return out


def trace(query: str) -> Trace:
    """Trace one prediction: an audit record hash (or chain hash), a prediction id, or the
    scored row as a JSON object. Raises PredictionNotFoundError when no audit record matches."""
    from glassbox.audit import decode_prediction, load_audit_tables
    from glassbox.config import settings

    tables = load_audit_tables(experiment_names=[settings().tracking.experiment])
    found = _matches(query, tables)
    if not found:
        raise PredictionNotFoundError(f"not found: no audit record matches {query.strip()!r}")
    index, position, matched_by = found[-1]  # the most recent score run
    score_run_id, table, manifest = tables[index]
    row = table.iloc[position]
    runs = _Runs()
    score = runs.get(score_run_id)
    model, train_id = _model(runs, row, score)
    score_record = run_record(score)
    return Trace(
        query=query.strip(),
        prediction=PredictionRecord(
            prediction_id=str(row["prediction_id"]),
            seq=int(row["seq"]),
            record_hash=str(row["record_hash"]),
            chain_hash=str(row["chain_hash"]),
            event_timestamp=row["event_timestamp"].isoformat(),
            prediction=decode_prediction(str(row["prediction"])),
            hash_alg=str(row["hash_alg"]),
            matched_by=matched_by,
        ),
        score_run=score_record,
        chain=_chain(table, manifest),
        model=model,
        training_run=runs.record(train_id),
        datasets=_datasets(runs, score_run_id),
        pipeline_run=runs.record(score_record.pipeline_run_id),
        other_matches=[
            f"{tables[i][0]}:{int(tables[i][1].iloc[p]['seq'])}" for i, p, _ in found[:-1]
        ],
    )
