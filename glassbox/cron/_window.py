"""The production window: every scored prediction after the watermark, joined with the
targets that have arrived so far (by prediction id), split into date partitions for fan-out."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

    from glassbox.config import DataSettings

PREDICTIONS = "predictions/predictions.parquet"


@dataclass
class Window:
    frame: pd.DataFrame
    sources: list[str]  # score run ids the rows came from
    watermark_before: str | None

    @property
    def empty(self) -> bool:
        return len(self.frame) == 0

    def watermark_after(self, timestamp_column: str) -> str | None:
        if self.empty:
            return self.watermark_before
        return str(self.frame[timestamp_column].max().isoformat())


def _score_runs(experiment_id: str) -> list[str]:
    import mlflow

    runs = mlflow.MlflowClient().search_runs(
        [experiment_id],
        "tags.`glassbox.step` = 'score' and attributes.status = 'FINISHED'",
        order_by=["attributes.start_time ASC"],
        max_results=1000,
    )
    return [r.info.run_id for r in runs]


def collect_window(
    experiment_id: str,
    data: DataSettings,
    watermark: str | None,
    max_rows: int = 0,
    *,
    arrival_column: str | None = None,
) -> Window:
    """Predictions with ``timestamp > watermark`` from every finished score run (a re-scored id
    keeps its latest prediction), oldest first, at most ``max_rows`` (0 = no cap), with the
    targets that arrived (and ``arrival_column``, their arrival time, when the targets have it)."""
    import mlflow.artifacts
    import pandas as pd

    from glassbox.data import read_source

    frames, sources = [], []
    for run_id in _score_runs(experiment_id):
        local = mlflow.artifacts.download_artifacts(
            run_id=run_id, artifact_path=PREDICTIONS, dst_path=tempfile.mkdtemp()
        )
        frames.append(pd.read_parquet(local).assign(score_run_id=run_id))
        sources.append(run_id)
    if not frames:
        return Window(pd.DataFrame(), [], watermark)
    ts = data.timestamp_column
    df = pd.concat(frames, ignore_index=True).drop_duplicates(data.id_column, keep="last")
    if watermark:
        df = df[df[ts] > pd.Timestamp(watermark)]
    df = df.sort_values([ts, data.id_column], kind="stable").reset_index(drop=True)
    if max_rows > 0:
        df = df.head(max_rows)
    targets, _ = read_source(data.targets, "targets")
    keep = [data.id_column, data.target_column]
    if arrival_column and arrival_column in targets:  # when each label arrived (latency)
        keep.append(arrival_column)
    targets = targets.loc[:, keep]
    df = df.drop(columns=[data.target_column], errors="ignore").merge(
        targets, on=data.id_column, how="left", validate="one_to_one"
    )
    return Window(df, sources, watermark)


def partitions(window: pd.DataFrame, timestamp_column: str, out_dir: Path) -> list[dict[str, str]]:
    """Write one Parquet per calendar month of the window; [{partition, path}] in order."""
    out_dir.mkdir(parents=True, exist_ok=True)
    items = []
    months = window[timestamp_column].dt.to_period("M")
    for period, part in window.groupby(months, sort=True):
        name = str(period)
        path = out_dir / f"part-{name}.parquet"
        part.to_parquet(path, index=False)
        items.append({"partition": name, "path": str(path)})
    return items
