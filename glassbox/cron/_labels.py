"""Feedback latency the cron observes itself, for targets without an arrival time.

When the delayed targets carry the time each label arrived (``monitoring.labels.arrival_column``)
the performance check measures feedback latency from it. Otherwise the cron records arrivals
itself: every prediction it judges enters a ledger of predictions waiting for their label (an
artifact of the model's history run, ``labels/pending.parquet``: the prediction id and
``predicted_at``, the start of the score run that made it). Each cron run looks the waiting ids
up in the targets; a label seen for the first time arrived at that run. Its latency is
``seen - predicted_at``: an upper bound of the true latency, exact to the cron's schedule, and
measured for late labels too (those of predictions an earlier window judged). A prediction still
unlabelled after ``max_wait_days`` leaves the ledger and is counted as expired.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

    from glassbox.cron._state import History
    from glassbox.cron._window import Window

PENDING = "labels/pending.parquet"
SOURCE_TAG = "glassbox.labels.latency_source"
OBSERVED = (
    "observed by the cron: the run that first saw each label (targets have no arrival column)"
)
PREDICTED_AT = "predicted_at"


@dataclass(frozen=True)
class LabelArrivals:
    """The labels this cron run saw for the first time, and what still waits."""

    latency_seconds: np.ndarray  # seen - predicted_at, one per label seen now
    late: int  # of those, labels of predictions an earlier window judged
    pending: int  # predictions still waiting for their label
    expired: int  # predictions given up on now (older than max_wait_days)

    def tags(self) -> dict[str, str]:
        return {SOURCE_TAG: OBSERVED}

    def metrics(self) -> dict[str, float]:
        out = {
            "labels.first_seen": float(self.latency_seconds.size),
            "labels.late_arrived": float(self.late),
            "labels.pending": float(self.pending),
            "labels.expired": float(self.expired),
        }
        if self.latency_seconds.size:
            out |= {
                "labels.latency_seconds.p50": float(np.median(self.latency_seconds)),
                "labels.latency_seconds.p90": float(np.quantile(self.latency_seconds, 0.9)),
                "labels.latency_seconds.max": float(self.latency_seconds.max()),
            }
        return out


def score_times(run_ids: pd.Series) -> pd.Series:
    """When each row's score run started (UTC, naive): the time its prediction was made."""
    import mlflow
    import pandas as pd

    client = mlflow.MlflowClient()
    starts = {
        run_id: pd.Timestamp(client.get_run(run_id).info.start_time, unit="ms")
        for run_id in run_ids.dropna().unique()
    }
    return run_ids.map(starts).astype("datetime64[ns]")


def _load(history: History) -> pd.DataFrame | None:
    import mlflow.artifacts
    import pandas as pd
    from mlflow.exceptions import MlflowException

    names = {f.path for f in history.client().list_artifacts(history.run_id, "labels")}
    if PENDING not in names:
        return None
    try:
        local = mlflow.artifacts.download_artifacts(
            run_id=history.run_id, artifact_path=PENDING, dst_path=tempfile.mkdtemp()
        )
    except MlflowException:
        return None
    return pd.read_parquet(local)


def _save(history: History, pending: pd.DataFrame) -> None:
    folder = Path(tempfile.mkdtemp()) / "labels"
    folder.mkdir()
    pending.to_parquet(folder / Path(PENDING).name, index=False)
    history.client().log_artifacts(history.run_id, str(folder), "labels")


def record_label_arrivals(
    history: History,
    window: Window,
    id_column: str,
    *,
    max_wait_days: float = 90.0,
    now: Any = None,
) -> LabelArrivals:
    """Add the window's predictions to the ledger, take out those whose label has arrived
    (``window.labelled``: the ids with a label in the targets), give up on those older than
    ``max_wait_days``, and save the ledger on the history run. ``now``: this run's time (UTC,
    naive; default the current time)."""
    import pandas as pd

    now = pd.Timestamp.now(tz="UTC").tz_localize(None) if now is None else pd.Timestamp(now)
    frame = window.frame
    new = pd.DataFrame(
        {"id": frame[id_column], PREDICTED_AT: score_times(frame["score_run_id"])}
        if len(frame)
        else {"id": [], PREDICTED_AT: pd.Series([], dtype="datetime64[ns]")}
    )
    earlier = _load(history)
    if earlier is not None:
        new = new[~new["id"].isin(earlier["id"])]  # a window judged again (a retried run)
    ledger = pd.concat([d for d in (earlier, new) if d is not None], ignore_index=True)
    seen = ledger["id"].isin(window.labelled).to_numpy()
    waited = (now - ledger[PREDICTED_AT]).dt.total_seconds().to_numpy()
    from_earlier = np.arange(len(ledger)) < (0 if earlier is None else len(earlier))
    waiting = ledger[~seen]
    expired = (now - waiting[PREDICTED_AT]) > pd.Timedelta(days=max_wait_days)
    _save(history, waiting[~expired.to_numpy()])
    return LabelArrivals(
        latency_seconds=waited[seen],
        late=int((seen & from_earlier).sum()),
        pending=int((~expired).sum()),
        expired=int(expired.sum()),
    )
