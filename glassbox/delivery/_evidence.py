"""What a canary analysis compares: the same shape whether it came from a shadow log (raw,
paired per prediction) or from Prometheus (counters and histograms per model version)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Literal

import numpy as np
import numpy.typing as npt

from glassbox.delivery._errors import AnalysisInputError

if TYPE_CHECKING:
    import pandas as pd

    from glassbox.delivery._shadow import ShadowLog

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
Source = Literal["shadow", "prometheus"]


@dataclass(frozen=True)
class Histogram:
    """Per-bucket counts of two versions over the same finite upper bounds (+Inf last)."""

    bounds: FloatArray
    champion: IntArray
    challenger: IntArray


@dataclass(frozen=True)
class Labelled:
    """Rows with an arrived target: paired (shadow) or each version's own rows (canary)."""

    paired: bool
    target_champion: IntArray
    proba_champion: FloatArray
    label_champion: IntArray
    target_challenger: IntArray
    proba_challenger: FloatArray
    label_challenger: IntArray

    @property
    def sizes(self) -> tuple[int, int]:
        return int(self.target_champion.size), int(self.target_challenger.size)


@dataclass(frozen=True)
class Evidence:
    source: Source
    model: str
    champion_version: str
    challenger_version: str
    window_start: datetime | None = None
    window_end: datetime | None = None
    errors: tuple[int, int, int, int] | None = None  # errors, n (champion); errors, n (challenger)
    latency_raw: tuple[FloatArray, FloatArray] | None = None
    latency_hist: Histogram | None = None
    scores_raw: tuple[FloatArray, FloatArray] | None = None
    scores_hist: Histogram | None = None
    agreement: tuple[int, int] | None = None  # same label, both scored
    labelled: Labelled | None = None
    notes: dict[str, str] = field(default_factory=dict)  # criterion -> why its data is missing


def from_shadow(log: ShadowLog, targets: pd.DataFrame | None, note: str = "") -> Evidence:
    """Evidence from one version pair of a shadow log; ``targets`` has columns id, target."""
    frame = log.frame
    if frame.empty:
        raise AnalysisInputError("the shadow log selection holds no record")
    ok_a = frame["champion_error"].isna().to_numpy()
    ok_b = frame["challenger_error"].isna().to_numpy()
    n = len(frame)
    both = ok_a & ok_b
    labels_a = frame["champion_label"].to_numpy()
    labels_b = frame["challenger_label"].to_numpy()
    stamps = frame["timestamp"]
    return Evidence(
        source="shadow",
        model=str(frame["model"].iloc[0]),
        champion_version=str(frame["champion_version"].iloc[0]),
        challenger_version=str(frame["challenger_version"].iloc[0]),
        window_start=stamps.min().to_pydatetime(),
        window_end=stamps.max().to_pydatetime(),
        errors=(int(n - ok_a.sum()), n, int(n - ok_b.sum()), n),
        latency_raw=(_latencies(frame, "champion"), _latencies(frame, "challenger")),
        scores_raw=(
            frame.loc[ok_a, "champion_proba"].to_numpy(np.float64),
            frame.loc[ok_b, "challenger_proba"].to_numpy(np.float64),
        ),
        agreement=(int(np.count_nonzero(labels_a[both] == labels_b[both])), int(both.sum())),
        labelled=_join_targets(frame.loc[both], targets),
        notes={} if targets is not None else {"accuracy": note, "roc_auc": note},
    )


def _latencies(frame: pd.DataFrame, side: str) -> FloatArray:
    values = frame.loc[frame[f"{side}_error"].isna(), f"{side}_latency_seconds"]
    return values.dropna().to_numpy(np.float64)


def _join_targets(scored: pd.DataFrame, targets: pd.DataFrame | None) -> Labelled | None:
    if targets is None:
        return None
    joined = scored.merge(targets, on="id", how="inner")
    joined = joined[joined["target"].notna()]
    target = joined["target"].to_numpy().astype(np.int64)
    return Labelled(
        paired=True,
        target_champion=target,
        proba_champion=joined["champion_proba"].to_numpy(np.float64),
        label_champion=joined["champion_label"].to_numpy().astype(np.int64),
        target_challenger=target,
        proba_challenger=joined["challenger_proba"].to_numpy(np.float64),
        label_challenger=joined["challenger_label"].to_numpy().astype(np.int64),
    )


def targets_frame(raw: pd.DataFrame, id_column: str, target_column: str) -> pd.DataFrame:
    """The delayed targets as (id, target) with string ids, checked for the columns and 0/1."""
    for column in (id_column, target_column):
        if column not in raw.columns:
            raise AnalysisInputError(
                f"targets: column '{column}' missing (columns: {', '.join(map(str, raw.columns))})"
            )
    frame = raw.loc[:, [id_column, target_column]].dropna()
    frame.columns = ["id", "target"]
    values = set(frame["target"].unique().tolist())
    if not values <= {0, 1}:
        shown = ", ".join(map(repr, sorted(values, key=str)[:5]))
        raise AnalysisInputError(f"targets: column '{target_column}': expected 0/1, got {shown}")
    frame["id"] = frame["id"].astype(str)
    frame["target"] = frame["target"].astype(np.int64)
    return frame.drop_duplicates("id", keep="last")
