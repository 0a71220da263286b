"""Data-quality metrics of the datasets validate checked (DataQualityMetricsInputDatasetFacet)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from glassbox.tracking import StepContext

QUALITY_KEY = "openlineage.quality"


def column_metrics(df: pd.DataFrame) -> dict[str, Any]:
    """rowCount and, per column, nullCount, distinctCount and (numeric) min / max / sum."""
    import numpy as np
    import pandas as pd

    columns: dict[str, dict[str, Any]] = {}
    for name in df.columns:
        series = df[name]
        metrics: dict[str, Any] = {
            "nullCount": int(series.isna().sum()),
            "distinctCount": int(series.nunique(dropna=True)),
            "count": float(series.notna().sum()),
        }
        if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
            finite = series.to_numpy(dtype=np.float64)
            finite = finite[np.isfinite(finite)]
            if finite.size:
                metrics |= {
                    "min": float(finite.min()),
                    "max": float(finite.max()),
                    "sum": float(finite.sum()),
                }
        columns[str(name)] = metrics
    return {"rowCount": len(df), "columnMetrics": columns}


def record_quality(ctx: StepContext, df: pd.DataFrame, source: str) -> None:
    """Keep the metrics of an input the step checked, for its OpenLineage COMPLETE event."""
    ctx.annotations.setdefault(QUALITY_KEY, {})[source] = column_metrics(df)
