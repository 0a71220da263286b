"""Copy an embedded store (GLASSBOX_HOME) so a test can change it: the SQLite file records
absolute artifact locations, which are rewritten to the copy."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pandas as pd

from tests.integration._pipeline import PipelineRun


def copy_home(run: PipelineRun, target: Path) -> PipelineRun:
    shutil.copytree(run.home, target)
    old, new = str(run.home), str(target)
    with sqlite3.connect(target / "mlflow.db") as db:
        tables = [r[0] for r in db.execute("select name from sqlite_master where type='table'")]
        for table in tables:
            columns = [r[1] for r in db.execute(f"pragma table_info('{table}')")]
            for column in columns:
                # names come from sqlite_master; the values are bound
                sql = (
                    f'update "{table}" set "{column}" = replace("{column}", ?, ?) '  # noqa: S608
                    f'where typeof("{column}") = \'text\' and "{column}" like ?'
                )
                db.execute(sql, (old, new, f"%{old}%"))
    return PipelineRun(target, run.returncode, run.stdout, run.stderr)


def artifact(run: PipelineRun, run_id: str, path: str) -> Path:
    """The local file of a run's artifact in an embedded store."""
    found = list((run.home / "artifacts").glob(f"**/{run_id}/artifacts/{path}"))
    assert len(found) == 1, f"{run_id}/{path}: {found}"
    return found[0]


def audit_table(run: PipelineRun, score_run_id: str) -> pd.DataFrame:
    return pd.read_parquet(artifact(run, score_run_id, "audit/audit_table.parquet"))


def step_run(run: PipelineRun, step: str) -> Any:
    from tests.integration._pipeline import step_runs

    return step_runs(run)[step]
