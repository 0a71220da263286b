"""The cron's window: predictions after the watermark joined with the delayed targets, for data
without an id column (derived ids) or a timestamp column (scoring time, one partition)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from glassbox.config import DataSettings
from glassbox.cron import collect_window, partitions
from glassbox.errors import DataValidationError
from glassbox.features import DERIVED_ID, SCORED_AT, prepare
from tests.init._data import own_table
from tests.test_features import OWN


def _score_run(experiment_id: str, predictions: pd.DataFrame, tmp: Path) -> str:
    import mlflow

    client = mlflow.MlflowClient()
    run = client.create_run(experiment_id, tags={"glassbox.step": "score"})
    local = tmp / "predictions.parquet"
    predictions.to_parquet(local, index=False)
    client.log_artifact(run.info.run_id, str(local), "predictions")
    client.set_terminated(run.info.run_id, "FINISHED")
    return str(run.info.run_id)


def _scored(raw: pd.DataFrame, data: DataSettings, at: str) -> pd.DataFrame:
    batch = prepare(raw.drop(columns="churned"), data)
    return batch.assign(**{SCORED_AT: pd.Timestamp(at), "y_pred_proba": 0.5, "y_pred": 1})


def test_targets_join_by_derived_ids_the_watermark_follows_scoring_time_one_partition(
    glassbox_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from glassbox.tracking import configure, ensure_experiment

    monkeypatch.delenv("GLASSBOX_AUDIT_HMAC_KEY", raising=False)
    configure()
    experiment = ensure_experiment("own-data")
    raw = own_table(400, seed=5)
    first, second = raw.iloc[:250], raw.iloc[250:]
    _score_run(experiment, _scored(first, OWN, "2026-01-05 10:00"), tmp_path)
    _score_run(experiment, _scored(second, OWN, "2026-02-07 09:00"), tmp_path)
    labels = raw.iloc[::-1].copy()  # the labels arrive in a file of their own, in any order
    labels.loc[labels.index[:100], "churned"] = None  # the newest 100 have no label yet
    targets = tmp_path / "labels.csv"
    labels.to_csv(targets, index=False)
    data = OWN.model_copy(update={"targets": str(targets)})

    window = collect_window(experiment, data, watermark=None)
    assert len(window.frame) == 400
    assert window.frame[DERIVED_ID].tolist() == prepare(raw, OWN)[DERIVED_ID].tolist()
    arrived = window.frame["churned"]
    assert arrived.notna().sum() == 300
    assert (arrived.head(300) == raw["churned"].head(300)).all()
    assert window.watermark_after(SCORED_AT) == "2026-02-07T09:00:00"

    later = collect_window(experiment, data, watermark="2026-01-05T10:00:00")
    assert len(later.frame) == 150 and later.frame[SCORED_AT].nunique() == 1

    parts = partitions(window.frame, data.timestamp_column, tmp_path / "parts")
    assert [p["partition"] for p in parts] == ["all"]
    assert len(pd.read_parquet(parts[0]["path"])) == 400

    # a labels file without the features cannot be joined by derived ids: it says so
    raw[["churned", "age"]].to_csv(targets, index=False)
    with pytest.raises(DataValidationError, match=r"feature column\(s\) \['income'.*every feature"):
        collect_window(experiment, data, watermark=None)


def test_months_are_partitions_when_the_data_has_a_timestamp(tmp_path: Path) -> None:
    frame = pd.DataFrame({"at": pd.to_datetime(["2024-01-03", "2024-01-30", "2024-03-01"])})
    parts = partitions(frame, "at", tmp_path)
    assert [p["partition"] for p in parts] == ["2024-01", "2024-03"]
