"""Typed, JSON-serialisable monitoring results: per chunk drift, estimated and realized performance.

No NannyML object ever leaves ``glassbox.monitoring``: callers get these frozen pydantic models
(``MonitoringResult.model_dump_json()`` / ``MonitoringResult.model_validate_json()``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from pydantic import BaseModel, ConfigDict, Field

_T = TypeVar("_T")


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class MethodDrift(_Frozen):
    """One drift method's value for one feature in one chunk (chi2: the statistic; its alert is
    ``p < 0.05``)."""

    method: str
    value: float | None
    lower_threshold: float | None
    upper_threshold: float | None
    alert: bool


class FeatureDrift(_Frozen):
    """A feature in a chunk: alerted when any of its methods did."""

    feature: str
    alert: bool
    methods: tuple[MethodDrift, ...]


class MultivariateDrift(_Frozen):
    """PCA data-reconstruction error of the chunk against the reference's band."""

    reconstruction_error: float | None
    lower_threshold: float | None
    upper_threshold: float | None
    alert: bool


class PerformanceValue(_Frozen):
    """An estimated (CBPE) or realized performance metric of a chunk.

    ``alert`` is NannyML's (outside the band on either side); ``dropped`` is the part that hurts:
    the value fell below the lower threshold. ``value`` is None when it is not known (realized
    performance before enough targets arrived)."""

    metric: str
    value: float | None
    sampling_error: float | None
    lower_threshold: float | None
    upper_threshold: float | None
    alert: bool
    dropped: bool


class ChunkResult(_Frozen):
    """Everything monitored about one chunk of the production window."""

    index: int = Field(ge=0)
    key: str
    start: datetime | None
    end: datetime | None
    rows: int = Field(ge=0)
    # False when the chunk has fewer than ``min_chunk_rows`` rows: values kept, alerts suppressed.
    sufficient: bool
    labelled_rows: int = Field(ge=0)
    features: tuple[FeatureDrift, ...]
    multivariate: MultivariateDrift
    estimated: tuple[PerformanceValue, ...]
    realized: tuple[PerformanceValue, ...]

    @property
    def target_coverage(self) -> float:
        """Share of the chunk's predictions whose target has arrived."""
        return self.labelled_rows / self.rows if self.rows else 0.0

    @property
    def drifted_features(self) -> tuple[str, ...]:
        return tuple(f.feature for f in self.features if f.alert)

    @property
    def input_drift(self) -> bool:
        """Any univariate feature alert or the multivariate alert."""
        return bool(self.drifted_features) or self.multivariate.alert

    def feature(self, name: str) -> FeatureDrift:
        return _one(self.features, "feature", name, lambda f: f.feature)

    def estimated_metric(self, metric: str) -> PerformanceValue:
        return _one(self.estimated, "estimated metric", metric, lambda m: m.metric)

    def realized_metric(self, metric: str) -> PerformanceValue:
        return _one(self.realized, "realized metric", metric, lambda m: m.metric)


class TargetCoverage(_Frozen):
    """How far the delayed targets cover the window (joined to predictions by prediction id)."""

    predictions: int = Field(ge=0)
    targets_received: int = Field(ge=0)
    matched: int = Field(ge=0)
    # Target ids with no prediction in this window (late for an older window, or unknown ids).
    unmatched_targets: int = Field(ge=0)

    @property
    def coverage(self) -> float:
        return self.matched / self.predictions if self.predictions else 0.0


class MonitoringResult(_Frozen):
    """NannyML monitoring of one production window against the model's reference."""

    chunking: str
    features: tuple[str, ...]
    metrics: tuple[str, ...]
    targets: TargetCoverage
    chunks: tuple[ChunkResult, ...]

    def drift_chunks(self, feature: str) -> tuple[int, ...]:
        """Indexes of the chunks where ``feature`` alerted."""
        return tuple(c.index for c in self.chunks if c.feature(feature).alert)

    def multivariate_chunks(self) -> tuple[int, ...]:
        return tuple(c.index for c in self.chunks if c.multivariate.alert)

    def estimated_drop_chunks(self, metric: str = "roc_auc") -> tuple[int, ...]:
        return tuple(c.index for c in self.chunks if c.estimated_metric(metric).dropped)

    def realized_drop_chunks(self, metric: str = "roc_auc") -> tuple[int, ...]:
        return tuple(c.index for c in self.chunks if c.realized_metric(metric).dropped)

    def drifted_features(self) -> tuple[str, ...]:
        """Features that alerted in at least one chunk, in feature order."""
        return tuple(f for f in self.features if self.drift_chunks(f))


def _one(items: tuple[_T, ...], kind: str, name: str, key: Callable[[_T], str]) -> _T:
    for item in items:
        if key(item) == name:
            return item
    raise KeyError(f"no {kind} {name!r}; known: {[key(i) for i in items]}")
