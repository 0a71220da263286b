"""MLflow glue: log a batch's audit on the score run; find and load audits of score runs."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from glassbox.audit._build import TABLE_COLUMNS
from glassbox.audit._errors import AuditError
from glassbox.audit._manifest import AuditManifest

if TYPE_CHECKING:
    from mlflow.entities import Run

AUDIT_DIR = "audit"
TABLE_FILE = "audit_table.parquet"
MANIFEST_FILE = "audit_manifest.json"
TAG_ROOT = "glassbox.audit.root"
TAG_COUNT = "glassbox.audit.count"
TAG_HASH_ALG = "glassbox.audit.hash_alg"
STEP_TAG = "glassbox.step"
SCORE_STEP = "score"


def log_audit(table: pd.DataFrame, manifest: AuditManifest | dict[str, Any]) -> None:
    """Log ``audit/audit_table.parquet`` and ``audit/audit_manifest.json`` on the active run,
    and tag it with the root, count and hash algorithm (one artifact upload, one tag batch).

    Refuses a table with columns beyond the audit columns: feature values never leave the step.
    """
    import mlflow

    manifest = AuditManifest.coerce(manifest)
    if not isinstance(table, pd.DataFrame) or list(table.columns) != list(TABLE_COLUMNS):
        got = list(table.columns) if isinstance(table, pd.DataFrame) else type(table).__name__
        raise AuditError(
            f"audit table: expected exactly the columns {list(TABLE_COLUMNS)}, got {got}"
        )
    if len(table) != manifest.count:
        raise AuditError(f"audit table has {len(table)} rows, its manifest says {manifest.count}")
    if mlflow.active_run() is None:
        raise AuditError("log_audit: no active MLflow run (call it inside the score step's run)")
    with tempfile.TemporaryDirectory(prefix="glassbox-audit-") as tmp:
        table.to_parquet(Path(tmp, TABLE_FILE), index=False)
        Path(tmp, MANIFEST_FILE).write_text(manifest.to_json(), encoding="utf-8")
        mlflow.log_artifacts(tmp, artifact_path=AUDIT_DIR)
    mlflow.set_tags(
        {TAG_ROOT: manifest.root, TAG_COUNT: str(manifest.count), TAG_HASH_ALG: manifest.hash_alg}
    )


def _experiment_ids(client: Any, names: list[str] | None) -> list[str]:
    if names is None:
        return [e.experiment_id for e in client.search_experiments()]
    ids = []
    for name in names:
        exp = client.get_experiment_by_name(name)
        if exp is None:
            raise AuditError(f"experiment '{name}' not found in the tracking store")
        ids.append(exp.experiment_id)
    return ids


def _search_score_runs(client: Any, experiment_ids: list[str]) -> list[Run]:
    found = search_all_runs(client, experiment_ids, f"tags.`{STEP_TAG}` = '{SCORE_STEP}'")
    return [r for r in found if TAG_ROOT in r.data.tags]


def search_all_runs(client: Any, experiment_ids: list[str], filter_string: str) -> list[Run]:
    """Every run of ``experiment_ids`` matching ``filter_string``, oldest first, page by page."""
    runs: list[Run] = []
    token = None
    while experiment_ids:
        page = client.search_runs(
            experiment_ids,
            filter_string=filter_string,
            order_by=["attributes.start_time ASC"],
            page_token=token,
        )
        runs.extend(page)
        token = page.token
        if not token:
            break
    return runs


def _get_runs(client: Any, run_ids: list[str], experiment_ids: list[str] | None) -> list[Run]:
    from mlflow.exceptions import MlflowException

    runs = []
    for run_id in run_ids:
        try:
            run = client.get_run(run_id)
        except MlflowException:
            raise AuditError(f"run {run_id}: not found in the tracking store") from None
        if experiment_ids is not None and run.info.experiment_id not in experiment_ids:
            raise AuditError(f"run {run_id}: not in the experiments asked for")
        if TAG_ROOT not in run.data.tags:
            raise AuditError(f"run {run_id}: has no audit (tag {TAG_ROOT} missing)")
        runs.append(run)
    return runs


def _load(run: Run) -> tuple[str, pd.DataFrame, AuditManifest]:
    import mlflow

    run_id = run.info.run_id
    with tempfile.TemporaryDirectory(prefix="glassbox-audit-") as tmp:
        try:
            local = Path(
                mlflow.artifacts.download_artifacts(
                    run_id=run_id, artifact_path=AUDIT_DIR, dst_path=tmp
                )
            )
            table = pd.read_parquet(local / TABLE_FILE)
            text = (local / MANIFEST_FILE).read_text(encoding="utf-8")
        except (OSError, mlflow.exceptions.MlflowException) as exc:
            raise AuditError(
                f"run {run_id}: cannot read its audit artifacts ({type(exc).__name__})"
            ) from None
    manifest = AuditManifest.from_json(text, f"run {run_id} {AUDIT_DIR}/{MANIFEST_FILE}")
    tags = run.data.tags
    if tags.get(TAG_ROOT) != manifest.root or tags.get(TAG_COUNT) != str(manifest.count):
        raise AuditError(
            f"run {run_id}: audit manifest (root {manifest.root[:12]}…, count {manifest.count}) "
            f"disagrees with the run tags (root {tags.get(TAG_ROOT, '')[:12]}…, count "
            f"{tags.get(TAG_COUNT)}): the artifacts were changed after logging"
        )
    return run_id, table, manifest


def load_audit_tables(
    experiment_names: list[str] | None = None,
    run_ids: list[str] | None = None,
) -> list[tuple[str, pd.DataFrame, AuditManifest]]:
    """(run id, audit table, manifest) of every score run with an audit, oldest first.

    ``run_ids`` selects runs directly (each must have an audit); ``experiment_names`` limits
    the search (default: every active experiment). A manifest whose root or count differs
    from the run's tags raises: the logged tags are the anchor.
    """
    import mlflow

    client = mlflow.MlflowClient()
    experiment_ids = (
        None if experiment_names is None else _experiment_ids(client, list(experiment_names))
    )
    if run_ids is not None:
        runs = _get_runs(client, list(run_ids), experiment_ids)
    else:
        runs = _search_score_runs(client, experiment_ids or _experiment_ids(client, None))
    return [_load(run) for run in runs]
