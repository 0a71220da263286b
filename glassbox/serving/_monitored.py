"""``POST /monitor`` records: predictions made elsewhere (e.g. KServe), audited and watched here.

Each record is ``{"id", "features": {...}, "prediction": 0|1, "probability": p, "latency_ms"}``
(``latency_ms`` optional). Features are checked against the served model's contract exactly like
``/predict`` bodies; the prediction is recorded as the score step records its own
(``{"y_pred": label, "y_pred_proba": p}``), attributed to the served model version.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from glassbox.serving._errors import RequestError, invalid
from glassbox.serving._records import ID_FIELD, Records, RecordSchema, json_type, shown

REQUIRED = frozenset({ID_FIELD, "features", "prediction", "probability"})
OPTIONAL = frozenset({"latency_ms"})


@dataclass(frozen=True)
class Monitored:
    records: Records
    proba: np.ndarray
    label: np.ndarray
    latency_seconds: np.ndarray  # only the records that reported one


def _keys(item: Any, index: int) -> None:
    if not isinstance(item, dict):
        raise invalid(
            "not_a_record",
            f"record {index}: expected a JSON object with {sorted(REQUIRED)}, "
            f"got {json_type(item)}",
            index=index,
        )
    missing = sorted(REQUIRED - item.keys())
    if missing:
        raise invalid(
            "missing_field",
            f"record {index}: missing field {missing[0]!r}",
            field=missing[0],
            index=index,
        )
    unknown = sorted(item.keys() - REQUIRED - OPTIONAL)
    if unknown:
        raise invalid(
            "unknown_field",
            f"record {index}: unknown field {unknown[0]!r}; expected {sorted(REQUIRED)} and "
            f"optionally {sorted(OPTIONAL)}",
            field=unknown[0],
            index=index,
        )


def _number(value: Any, index: int, name: str, low: float, high: float) -> float:
    ok = type(value) in (int, float)
    try:
        number = float(value) if ok else math.nan
    except OverflowError:
        number = math.inf
    if not ok or not (math.isfinite(number) and low <= number <= high):
        raise invalid(
            "wrong_type" if not ok else "out_of_range",
            f"record {index}, field {name!r}: expected a number in [{low:g}, {high:g}], got "
            f"{json_type(value)} ({shown(value)})",
            field=name,
            index=index,
        )
    return number


def _label(value: Any, index: int) -> int:
    if isinstance(value, bool):
        return int(value)
    if type(value) is int and value in (0, 1):
        return value
    raise invalid(
        "wrong_type",
        f"record {index}, field 'prediction': expected 0 or 1, got {json_type(value)} "
        f"({shown(value)})",
        field="prediction",
        index=index,
    )


def monitored(schema: RecordSchema, doc: Any) -> Monitored:
    items = schema.records(doc)
    for index, item in enumerate(items):
        _keys(item, index)
    features = [item["features"] for item in items]
    try:
        schema.check_keys(features)
        columns = {s.name: schema.column(s, [f[s.name] for f in features]) for s in schema.fields}
    except RequestError as exc:
        exc.field = f"features.{exc.field}" if exc.field else "features"
        raise
    proba = np.array(
        [_number(item["probability"], i, "probability", 0.0, 1.0) for i, item in enumerate(items)]
    )
    label = np.array([_label(item["prediction"], i) for i, item in enumerate(items)], np.int64)
    latency = [
        _number(item["latency_ms"], i, "latency_ms", 0.0, 3.6e6) / 1000.0
        for i, item in enumerate(items)
        if "latency_ms" in item
    ]
    ids, texts = schema.ids(items, request_id="")  # every item has its id (_keys)
    return Monitored(Records(len(items), columns, ids, texts), proba, label, np.array(latency))
