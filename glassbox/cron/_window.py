"""The production window: every scored prediction after the watermark, joined with the
targets that have arrived so far (by prediction id), split into date partitions for fan-out.

Data without an id column joins its targets by derived ids (glassbox.features); data without a
timestamp column orders the window by scoring time (``scored_at``) and makes it one partition."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from glassbox.features import DERIVED_ID, event_time_name, id_name, row_ids

if TYPE_CHECKING:
    import pandas as pd

    from glassbox.config import DataSettings

PREDICTIONS = "predictions/predictions.parquet"
SINGLE_PARTITION = "all"


@dataclass
class Window:
    frame: pd.DataFrame
    sources: list[str]  # score run ids the rows came from
    watermark_before: str | None
    labelled: Any = ()  # the ids with a label in the targets now (any window's predictions)

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
    targets that arrived (and ``arrival_column``, their arrival time, when the targets have it).

    Without a timestamp column the predictions' ``scored_at`` plays its part (rows of one batch
    keep their order); without an id column the targets are joined by derived ids."""
    import mlflow.artifacts
    import pandas as pd

    frames, sources = [], []
    for run_id in _score_runs(experiment_id):
        local = mlflow.artifacts.download_artifacts(
            run_id=run_id, artifact_path=PREDICTIONS, dst_path=tempfile.mkdtemp()
        )
        frames.append(pd.read_parquet(local).assign(score_run_id=run_id))
        sources.append(run_id)
    if not frames:
        return Window(pd.DataFrame(), [], watermark)
    ts, ids = event_time_name(data), id_name(data)
    df = pd.concat(frames, ignore_index=True).drop_duplicates(ids, keep="last")
    if watermark:
        df = df[df[ts] > pd.Timestamp(watermark)]
    order = [ts, ids] if data.id_column else [ts]
    df = df.sort_values(order, kind="stable").reset_index(drop=True)
    if max_rows > 0:
        df = df.head(max_rows)
    targets = arrived_targets(data, arrival_column)
    df = df.drop(columns=[data.target_column], errors="ignore").merge(
        targets, on=ids, how="left", validate="one_to_one"
    )
    labelled = targets.loc[targets[data.target_column].notna(), ids].unique()
    return Window(df, sources, watermark, labelled)


def arrived_targets(data: DataSettings, arrival_column: str | None = None) -> pd.DataFrame:
    """The delayed targets (id, target, and ``arrival_column`` when the targets have it) from
    ``data.targets``. Without an id column the ids are derived from the targets file's
    features, as they were for the scored rows."""
    from glassbox.data import read_source
    from glassbox.errors import DataValidationError

    targets, source = read_source(data.targets, "targets")
    extra = [arrival_column] if arrival_column and arrival_column in targets.columns else []
    if data.target_column not in targets.columns:
        raise DataValidationError(
            f"targets: {source}: column '{data.target_column}' missing (the target column)"
        )
    if data.id_column:
        if data.id_column not in targets.columns:
            raise DataValidationError(
                f"targets: {source}: column '{data.id_column}' missing (the id column)"
            )
        return targets.loc[:, [data.id_column, data.target_column, *extra]]
    missing = [c for c in data.features if c not in targets.columns]
    if missing:
        raise DataValidationError(
            f"targets: {source}: feature column(s) {missing} missing: the data has no id "
            "column, so targets are joined to predictions by ids derived from every feature"
        )
    return targets.assign(**{DERIVED_ID: row_ids(targets, data)}).loc[
        :, [DERIVED_ID, data.target_column, *extra]
    ]


def partitions(
    window: pd.DataFrame, timestamp_column: str | None, out_dir: Path
) -> list[dict[str, str]]:
    """Write one Parquet per calendar month of the window; [{partition, path}] in order.

    Without a timestamp column (None) the whole window is one partition named ``all``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    if not timestamp_column:
        path = out_dir / f"part-{SINGLE_PARTITION}.parquet"
        window.to_parquet(path, index=False)
        return [{"partition": SINGLE_PARTITION, "path": str(path)}]
    items = []
    months = window[timestamp_column].dt.to_period("M")
    for period, part in window.groupby(months, sort=True):
        name = str(period)
        path = out_dir / f"part-{name}.parquet"
        part.to_parquet(path, index=False)
        items.append({"partition": name, "path": str(path)})
    return items
