"""Past windows' statistic values, the input of dynamic thresholds.

The calculator stays stateless: the caller keeps the history (e.g. the nightly job stores
``history.to_dict()`` as JSON in MLflow) and passes it to ``calculate``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from glassbox.drift._errors import DriftError
from glassbox.drift._result import DriftResult
from glassbox.drift._thresholds import Metric

METRICS: tuple[Metric, ...] = (
    "psi",
    "js_distance",
    "kl_divergence",
    "ks_statistic",
    "wasserstein_normalized",
)


class DriftHistory:
    """Immutable mapping (column, metric) -> values of past windows, oldest first."""

    def __init__(self, values: Mapping[str, Mapping[str, Sequence[float]]] | None = None) -> None:
        self._values: dict[str, dict[str, tuple[float, ...]]] = {}
        for column, per_metric in (values or {}).items():
            for metric, series in per_metric.items():
                if metric not in METRICS:
                    raise DriftError(
                        f"history[{column!r}]: unknown metric {metric!r}; expected one of "
                        f"{', '.join(METRICS)}"
                    )
                self._values.setdefault(column, {})[metric] = tuple(
                    math.nan if v is None else float(v) for v in series
                )

    def values(self, column: str, metric: str) -> tuple[float, ...]:
        return self._values.get(column, {}).get(metric, ())

    def append(self, result: DriftResult, max_length: int | None = None) -> DriftHistory:
        """A new history with ``result``'s statistics added (keeping the last ``max_length``)."""
        merged = {column: dict(per_metric) for column, per_metric in self._values.items()}
        for feature in result:
            per_metric = merged.setdefault(feature.name, {})
            for metric in METRICS:
                series = (*per_metric.get(metric, ()), feature.statistic(metric))
                per_metric[metric] = series[-max_length:] if max_length else series
        return DriftHistory(merged)

    @classmethod
    def from_results(
        cls, results: Iterable[DriftResult], max_length: int | None = None
    ) -> DriftHistory:
        history = cls()
        for result in results:
            history = history.append(result, max_length)
        return history

    def to_dict(self) -> dict[str, dict[str, list[float | None]]]:
        """JSON-safe (NaN written as null)."""
        return {
            column: {m: [v if math.isfinite(v) else None for v in s] for m, s in per.items()}
            for column, per in self._values.items()
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DriftHistory:
        if not isinstance(data, Mapping):
            raise DriftError(f"history must be a mapping, got {type(data).__name__}")
        return cls(data)

    def __len__(self) -> int:
        return max((len(s) for per in self._values.values() for s in per.values()), default=0)
