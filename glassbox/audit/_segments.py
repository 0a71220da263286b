"""Audit segments on an MLflow run: an online server's audit, logged segment by segment.

Segment ``k`` (1, 2, ...) of run ``R`` is ``audit/segments/<k:06d>/audit_table.parquet`` +
``audit_manifest.json`` — the same two files as a batch audit — with batch id
``R/segment-<k:06d>``, so its genesis binds the run and the position. After each segment the
run's anchor tags are moved forward: how many segments, how many records in all, and the root of
the last one. A loader recomputes those three from the artifacts and refuses a run whose
artifacts disagree (a segment removed, added or replaced after logging).
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from glassbox.audit._build import TABLE_COLUMNS
from glassbox.audit._errors import AuditError
from glassbox.audit._manifest import AuditManifest
from glassbox.audit._store import (
    MANIFEST_FILE,
    TABLE_FILE,
    _experiment_ids,
    search_all_runs,
)

if TYPE_CHECKING:
    from mlflow.entities import Run

SEGMENTS_DIR = "audit/segments"
TAG_SEGMENTS = "glassbox.audit.segments.count"
TAG_RECORDS = "glassbox.audit.segments.records"
TAG_LAST_ROOT = "glassbox.audit.segments.last_root"
TAG_SEGMENT_ALG = "glassbox.audit.hash_alg"
_NAME = re.compile(r"^\d{6}$")


def segment_batch_id(run_id: str, index: int) -> str:
    """The batch id of segment ``index`` (from 1) of run ``run_id``."""
    if index < 1:
        raise AuditError(f"segment index must be >= 1, got {index}")
    return f"{run_id}/segment-{index:06d}"


def segment_name(index: int) -> str:
    return f"{index:06d}"


def logged_segments(run: Run | Any) -> tuple[int, int]:
    """(segments, records) the run's anchor tags say are logged (0, 0 for none)."""
    tags = run.data.tags
    return int(tags.get(TAG_SEGMENTS, 0)), int(tags.get(TAG_RECORDS, 0))


def log_segment(
    run_id: str,
    index: int,
    table: pd.DataFrame,
    manifest: AuditManifest,
    extra: Sequence[Path] = (),
) -> None:
    """Log segment ``index`` of ``run_id`` and move the run's anchor tags forward.

    Segments are logged in order: ``index`` must be one more than the segments already logged
    (logging the last one again, after a crash between the upload and the tags, is allowed and
    rewrites the same files). The table must hold exactly the audit columns; ``extra`` files
    (never feature values) are logged beside the two segment files.
    """
    import mlflow
    from mlflow.entities import RunTag

    if list(table.columns) != list(TABLE_COLUMNS):
        raise AuditError(f"segment table: expected exactly {list(TABLE_COLUMNS)}")
    if len(table) != manifest.count:
        raise AuditError(f"segment table has {len(table)} rows, its manifest says {manifest.count}")
    expected = segment_batch_id(run_id, index)
    if manifest.batch_id != expected:
        raise AuditError(f"segment manifest batch_id {manifest.batch_id!r}, expected {expected!r}")
    client = mlflow.MlflowClient()
    done, records = logged_segments(client.get_run(run_id))
    if index <= done:
        return  # already logged and anchored
    if index != done + 1:
        raise AuditError(
            f"run {run_id}: segment {index} cannot follow {done} logged segment(s): "
            "segments are logged in order"
        )
    with tempfile.TemporaryDirectory(prefix="glassbox-segment-") as tmp:
        table.to_parquet(Path(tmp, TABLE_FILE), index=False)
        Path(tmp, MANIFEST_FILE).write_text(manifest.to_json(), encoding="utf-8")
        for path in extra:
            shutil.copy2(path, Path(tmp, path.name))
        client.log_artifacts(run_id, tmp, f"{SEGMENTS_DIR}/{segment_name(index)}")
    tags = {
        TAG_SEGMENTS: str(index),
        TAG_RECORDS: str(records + manifest.count),
        TAG_LAST_ROOT: manifest.root,
        TAG_SEGMENT_ALG: manifest.hash_alg,
    }
    client.log_batch(run_id, tags=[RunTag(k, v) for k, v in tags.items()])


def _read_segments(run: Run) -> list[tuple[int, pd.DataFrame, AuditManifest]]:
    import mlflow

    run_id = run.info.run_id
    with tempfile.TemporaryDirectory(prefix="glassbox-segments-") as tmp:
        try:
            local = Path(
                mlflow.artifacts.download_artifacts(
                    run_id=run_id, artifact_path=SEGMENTS_DIR, dst_path=tmp
                )
            )
        except (OSError, mlflow.exceptions.MlflowException) as exc:
            raise AuditError(
                f"run {run_id}: cannot read its audit segments ({type(exc).__name__})"
            ) from None
        out = []
        for folder in sorted(p for p in local.iterdir() if p.is_dir()):
            where = f"run {run_id} {SEGMENTS_DIR}/{folder.name}"
            if not _NAME.match(folder.name):
                raise AuditError(f"{where}: not a segment folder (expected 6 digits)")
            try:
                table = pd.read_parquet(folder / TABLE_FILE)
                text = (folder / MANIFEST_FILE).read_text(encoding="utf-8")
            except OSError as exc:
                raise AuditError(f"{where}: incomplete segment ({type(exc).__name__})") from None
            out.append((int(folder.name), table, AuditManifest.from_json(text, where)))
    return out


def _check_anchor(run: Run, segments: list[tuple[int, pd.DataFrame, AuditManifest]]) -> None:
    run_id = run.info.run_id
    count, records = logged_segments(run)
    indexes = [i for i, _, _ in segments]
    if indexes != list(range(1, count + 1)):
        raise AuditError(
            f"run {run_id}: the anchor tags say {count} segment(s) were logged, the artifacts "
            f"hold segment(s) {indexes}: a segment was removed or added after logging"
        )
    for index, _, manifest in segments:
        if manifest.batch_id != segment_batch_id(run_id, index):
            raise AuditError(
                f"run {run_id}: segment {index} has batch id {manifest.batch_id!r}: it was "
                "moved from another run or position"
            )
    total = sum(m.count for _, _, m in segments)
    last = segments[-1][2].root if segments else None
    if total != records or (last is not None and last != run.data.tags.get(TAG_LAST_ROOT)):
        raise AuditError(
            f"run {run_id}: the segments hold {total} records ending in root "
            f"{(last or '')[:12]}…, the anchor tags say {records} records ending in "
            f"{run.data.tags.get(TAG_LAST_ROOT, '')[:12]}…: the artifacts were changed"
        )


def _serving_runs(client: Any, experiment_ids: list[str]) -> list[Run]:
    return search_all_runs(client, experiment_ids, f"tags.`{TAG_SEGMENTS}` != ''")


def has_segments(run: Run | Any) -> bool:
    return TAG_SEGMENTS in run.data.tags


def load_segment_tables(
    experiment_names: list[str] | None = None,
    run_ids: list[str] | None = None,
) -> list[tuple[str, pd.DataFrame, AuditManifest]]:
    """(source label, audit table, manifest) of every logged segment, oldest run first.

    ``run_ids`` selects runs (each must have segments); otherwise every run with segments in
    ``experiment_names`` (default: every active experiment). The label is
    ``<run id>/segment-<k>``. A run whose artifacts disagree with its anchor tags raises.
    """
    import mlflow
    from mlflow.exceptions import MlflowException

    client = mlflow.MlflowClient()
    if run_ids is not None:
        runs = []
        for run_id in run_ids:
            try:
                run = client.get_run(run_id)
            except MlflowException:
                raise AuditError(f"run {run_id}: not found in the tracking store") from None
            if not has_segments(run):
                raise AuditError(f"run {run_id}: has no audit segments (tag {TAG_SEGMENTS})")
            runs.append(run)
    else:
        names = None if experiment_names is None else list(experiment_names)
        runs = _serving_runs(client, _experiment_ids(client, names))
    out = []
    for run in runs:
        segments = _read_segments(run) if logged_segments(run)[0] else []
        _check_anchor(run, segments)
        out += [
            (segment_batch_id(run.info.run_id, i), table, manifest)
            for i, table, manifest in segments
        ]
    return out
