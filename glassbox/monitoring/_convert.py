"""NannyML result frames → typed :class:`ChunkResult`s (the only place that reads their layout).

Result frames have MultiIndex columns: univariate ``(feature, method, field)`` with chunk fields
under ``("chunk", "chunk", field)``; multivariate ``("reconstruction_error", field)``; CBPE and
realized performance ``(metric, field)``; the others' chunk fields under ``("chunk", field)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from glassbox.monitoring._errors import MonitoringError
from glassbox.monitoring._results import (
    ChunkResult,
    FeatureDrift,
    MethodDrift,
    MonitoringResult,
    MultivariateDrift,
    PerformanceValue,
    TargetCoverage,
)

if TYPE_CHECKING:
    import pandas as pd

    from glassbox.config import DataSettings
    from glassbox.monitoring._settings import MonitorSettings


@dataclass(frozen=True)
class RawResults:
    """The four NannyML analysis-period result frames of one window."""

    univariate: pd.DataFrame
    multivariate: pd.DataFrame
    estimated: pd.DataFrame
    realized: pd.DataFrame


def number(value: Any) -> float | None:
    """A finite float, or None for NaN/None/missing thresholds."""
    if value is None:
        return None
    out = float(value)
    return None if math.isnan(out) else out


def _moment(value: Any) -> datetime | None:
    import pandas as pd

    if value is None or pd.isna(value):
        return None
    return pd.Timestamp(value).to_pydatetime(warn=False)  # period ends: ...59.999999999


def assemble(
    raw: RawResults, data: DataSettings, settings: MonitorSettings, targets: TargetCoverage
) -> MonitoringResult:
    """One :class:`ChunkResult` per row of the (aligned) result frames."""
    _check_aligned(raw)
    return MonitoringResult(
        chunking=settings.chunking,
        features=data.features,
        metrics=settings.performance_metrics,
        targets=targets,
        chunks=tuple(_chunk(raw, row, data, settings) for row in range(len(raw.univariate))),
    )


def _chunk(raw: RawResults, row: int, data: DataSettings, settings: MonitorSettings) -> ChunkResult:
    uni = raw.univariate.iloc[row]
    rows = int(uni[("chunk", "chunk", "end_index")]) - int(uni[("chunk", "chunk", "start_index")])
    rows += 1
    sufficient = rows >= settings.min_chunk_rows
    realized = raw.realized.iloc[row]
    labelled = rows - round(float(realized[("chunk", "targets_missing_rate")]) * rows)
    known = labelled >= settings.min_chunk_rows and labelled >= settings.min_target_coverage * rows
    metrics = settings.performance_metrics
    return ChunkResult(
        index=row,
        key=str(uni[("chunk", "chunk", "key")]),
        start=_moment(uni[("chunk", "chunk", "start_date")]),
        end=_moment(uni[("chunk", "chunk", "end_date")]),
        rows=rows,
        sufficient=sufficient,
        labelled_rows=labelled,
        features=tuple(
            _feature(uni, f, _methods(f, data, settings), sufficient) for f in data.features
        ),
        multivariate=_multivariate(raw.multivariate.iloc[row], sufficient),
        estimated=tuple(
            _performance(raw.estimated.iloc[row], m, True, sufficient) for m in metrics
        ),
        realized=tuple(_performance(realized, m, known, known) for m in metrics),
    )


def _methods(feature: str, data: DataSettings, settings: MonitorSettings) -> tuple[str, ...]:
    if feature in data.categorical_features:
        return settings.categorical_methods
    return settings.continuous_methods


def _check_aligned(raw: RawResults) -> None:
    keys = [raw.univariate[("chunk", "chunk", "key")].astype(str).tolist()]
    keys += [
        frame[("chunk", "key")].astype(str).tolist()
        for frame in (raw.multivariate, raw.estimated, raw.realized)
    ]
    if any(k != keys[0] for k in keys[1:]):
        raise MonitoringError(f"nannyml calculate: calculators chunked differently: {keys}")


def _feature(row: pd.Series, feature: str, methods: tuple[str, ...], valid: bool) -> FeatureDrift:
    drifts = tuple(
        MethodDrift(
            method=method,
            value=number(row[(feature, method, "value")]),
            lower_threshold=number(row[(feature, method, "lower_threshold")]),
            upper_threshold=number(row[(feature, method, "upper_threshold")]),
            alert=valid and bool(row[(feature, method, "alert")]),
        )
        for method in methods
    )
    return FeatureDrift(feature=feature, alert=any(d.alert for d in drifts), methods=drifts)


def _multivariate(row: pd.Series, valid: bool) -> MultivariateDrift:
    return MultivariateDrift(
        reconstruction_error=number(row[("reconstruction_error", "value")]),
        lower_threshold=number(row[("reconstruction_error", "lower_threshold")]),
        upper_threshold=number(row[("reconstruction_error", "upper_threshold")]),
        alert=valid and bool(row[("reconstruction_error", "alert")]),
    )


def _performance(row: pd.Series, metric: str, known: bool, alerting: bool) -> PerformanceValue:
    """``known=False``: the value is withheld (None); ``alerting=False``: kept, never alerts."""
    value = number(row[(metric, "value")]) if known else None
    lower = number(row[(metric, "lower_threshold")])
    judged = alerting and value is not None
    return PerformanceValue(
        metric=metric,
        value=value,
        sampling_error=number(row[(metric, "sampling_error")]) if known else None,
        lower_threshold=lower,
        upper_threshold=number(row[(metric, "upper_threshold")]),
        alert=judged and bool(row[(metric, "alert")]),
        dropped=judged and lower is not None and value is not None and value < lower,
    )
