"""Performance and concept drift: NannyML's CBPE estimate and the realized metric per chunk.

Runs when ``--target`` and ``--proba`` are given (a classifier), or ``--target`` and a numeric
``--prediction`` without ``--proba`` (a regression model: MAE, RMSE, R², DLE's estimate). The
reference needs both (labels with no gap); the current data's labels are optional (a missing
or empty label is "not arrived yet"). Chunks are cut by rows, in timestamp order when
``--timestamp`` is given and in file order otherwise.
Without ``--prediction`` the predicted class is ``proba >= 0.5``. Whole-window metrics (the
reference's, and the current data's on its labelled rows) are computed exactly with
scikit-learn; the window's estimate is the row-weighted mean of the chunk estimates.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from glassbox.check._errors import CheckError, CheckInputError
from glassbox.monitoring import MonitoringError, MonitoringInputError, fitted_chunk_size

if TYPE_CHECKING:
    import pandas as pd

    from glassbox.check._inputs import Layout, Prepared
    from glassbox.check._options import Roles
    from glassbox.monitoring import (
        Finding,
        MonitoringResult,
        MonitoringSettings,
        MonitorSettings,
        PerformanceCheck,
        WindowVerdict,
    )


@dataclass(frozen=True)
class Performance:
    summary: dict[str, Any]
    result: MonitoringResult
    verdict: WindowVerdict
    findings: list[Finding]

    @property
    def concept_drift(self) -> bool:
        return self.verdict.kind == "concept_drift"


def chunk_size(explicit: int | None, settings: MonitorSettings, reference_rows: int) -> int:
    """``--chunk-size``, else the cron's rule (``fitted_chunk_size``: the configured size capped
    so the reference makes ``REFERENCE_CHUNKS`` chunks; rows, even when the cron is configured
    with a period)."""
    if explicit is not None:
        return explicit
    by_rows = settings.model_copy(update={"chunk_period": None})
    return fitted_chunk_size(by_rows, reference_rows) or 1


def performance(
    prepared: Prepared,
    lay: Layout,
    roles: Roles,
    settings: MonitoringSettings,
    *,
    size: int,
    sources: tuple[str, str],
) -> Performance:
    from glassbox.config import DataSettings
    from glassbox.monitoring import check_performance

    if roles.target is None or (roles.proba is None and roles.prediction is None):
        raise CheckError("performance needs --target and --proba (or --prediction)")
    features = [c for c in prepared.columns if c in lay.features]
    frames, names = _frames(prepared, features, roles)
    data = DataSettings(
        id_column=names["id"],
        timestamp_column=names["timestamp"],
        target_column=roles.target,
        numeric_features=tuple(lay.of("numeric", tuple(features))),
        categorical_features=tuple(lay.of("categorical", tuple(features))),
    )
    nannyml = settings.nannyml.model_copy(
        update={
            "chunk_size": size,
            "chunk_period": None,
            "y_pred_proba": roles.proba or names["y_pred"],  # regression: no probability
            "y_pred": names["y_pred"],
        }
    )
    try:
        checked = check_performance(
            frames[0],
            frames[1],
            data,
            settings.model_copy(update={"nannyml": nannyml}),
            chunk_size=size,
        )
    except MonitoringInputError as exc:
        raise CheckInputError(_named(str(exc), sources)) from None
    except MonitoringError as exc:
        raise CheckError(f"performance: {_named(str(exc), sources)}") from None
    summary = _summary(checked, frames, roles, size=size)
    return Performance(
        summary=summary, result=checked.result, verdict=checked.verdict, findings=checked.findings
    )


def _named(message: str, sources: tuple[str, str]) -> str:
    """NannyML adapter messages say ``reference:``/``predictions:``; name the files instead."""
    for prefix, where in (("reference:", f"reference {sources[0]}:"),
                          ("predictions:", f"current {sources[1]}:")):  # fmt: skip
        if message.startswith(prefix):
            return where + message.removeprefix(prefix)
    return message


def _frames(
    prepared: Prepared, features: list[str], roles: Roles
) -> tuple[tuple[pd.DataFrame, pd.DataFrame], dict[str, str]]:
    import numpy as np
    import pandas as pd

    target, proba = str(roles.target), roles.proba
    taken = {str(c) for c in (*prepared.reference.columns, *prepared.current.columns)}
    names = {
        "id": _free("__glassbox_row_id", taken),
        "timestamp": roles.timestamp or _free("__glassbox_timestamp", taken),
        "y_pred": roles.prediction or _free("__glassbox_y_pred", taken),
    }
    start = pd.Timestamp("2000-01-01")
    frames = []
    offset = 0
    for frame in (prepared.reference, prepared.current):
        keep = [*features]
        keep += [c for c in (proba, target, roles.timestamp, roles.prediction) if c and c in frame]
        out = frame.loc[:, list(dict.fromkeys(keep))].reset_index(drop=True)
        out[names["id"]] = np.arange(offset, offset + len(out))
        if roles.timestamp is None:  # file order: one second apart, current after reference
            out[names["timestamp"]] = start + pd.to_timedelta(out[names["id"]], unit="s")
        if roles.prediction is None and proba is not None:
            values = pd.to_numeric(out[proba], errors="coerce")
            out[names["y_pred"]] = (values >= 0.5).astype("int64")
        offset += len(out)
        frames.append(out)
    return (frames[0], frames[1]), names


def _free(stem: str, taken: set[str]) -> str:
    name, n = stem, 0
    while name in taken:
        n += 1
        name = f"{stem}_{n}"
    return name


def _summary(
    checked: PerformanceCheck,
    frames: tuple[pd.DataFrame, pd.DataFrame],
    roles: Roles,
    *,
    size: int,
) -> dict[str, Any]:
    result, verdict = checked.result, checked.verdict
    metrics = result.metrics
    rows = sum(c.rows for c in result.chunks)
    estimated: dict[str, float | None] = {}
    for metric in metrics:
        pairs = [(c.rows, c.estimated_metric(metric).value) for c in result.chunks]
        known = [(n, v) for n, v in pairs if v is not None]
        weight = sum(n for n, _ in known)
        estimated[metric] = sum(n * v for n, v in known) / weight if weight else None
    labels = roles.target in frames[1]
    return {
        "metric": verdict.metric,
        "metrics": list(metrics),
        "chunking": result.chunking,
        "chunk_size": size,
        "reference_rows": len(frames[0]),
        "reference_chunks": len(frames[0]) // size,
        "current_rows": rows,
        "labelled_rows": result.targets.matched,
        "labels": "present" if labels else "missing",
        "reason": None
        if labels
        else f"--target {roles.target!r} is not a column of the current data: no labels, "
        "so realized performance and concept drift cannot be judged (CBPE estimates only)",
        "label_metrics": checked.labels.metrics if checked.labels else {},
        "reference": {m: v.reference for m, v in checked.baseline.metrics.items()},
        "realized": {m: checked.realized.get(m) for m in metrics},
        "estimated": estimated,
        "estimated_drop_chunks": list(result.estimated_drop_chunks(verdict.metric)),
        "realized_drop_chunks": list(result.realized_drop_chunks(verdict.metric)),
        "verdict": {"kind": verdict.kind, "reason": verdict.reason},
        "chunks": [_chunk(c) for c in result.chunks],
    }


def _chunk(chunk: Any) -> dict[str, Any]:
    def values(items: tuple[Any, ...]) -> dict[str, Any]:
        return {
            v.metric: {
                "value": v.value,
                "lower_threshold": v.lower_threshold,
                "upper_threshold": v.upper_threshold,
                "dropped": v.dropped,
            }
            for v in items
        }

    return {
        "index": chunk.index,
        "key": chunk.key,
        "rows": chunk.rows,
        "labelled_rows": chunk.labelled_rows,
        "sufficient": chunk.sufficient,
        "input_drift": chunk.input_drift,
        "drifted_features": list(chunk.drifted_features),
        "estimated": values(chunk.estimated),
        "realized": values(chunk.realized),
    }
