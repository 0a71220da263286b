"""Canonical encoding of one audited prediction (encoding version 1, see docs/audit.md).

A record is the JSON text ``json.dumps(obj, sort_keys=True, separators=(",", ":"),
ensure_ascii=False)`` of::

    {"event_timestamp": <ISO-8601 UTC>, "features": {<column>: <value>, ...},
     "model_fingerprint": <str>, "prediction": <value>, "prediction_id": <str>, "v": 1}

after every value is normalised (numbers by value, missing values to ``null``, timestamps to
tagged UTC strings). The scalar path (:func:`encode_value`) is the definition; the column path
(:func:`encode_column`) produces the same text, faster, for whole DataFrame columns.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from glassbox.audit._errors import AuditError

ENCODING_VERSION = 1
TAG_PREFIX = "$"
_POS_INF = '{"$float":"inf"}'
_NEG_INF = '{"$float":"-inf"}'


# A JSON string literal, non-ASCII kept as is (UTF-8 later): exactly what
# json.dumps(text, ensure_ascii=False) returns for a str, without its per-call overhead.
quote: Callable[[str], str] = json.encoder.encode_basestring


def float_text(x: float) -> str:
    """Numbers by value: integral → integer literal (so -0.0 → 0), else shortest ``repr``."""
    if math.isnan(x):
        return "null"
    if math.isinf(x):
        return _POS_INF if x > 0 else _NEG_INF
    if x.is_integer():
        return str(int(x))
    return repr(x)


def timestamp_iso(value: Any, where: str) -> str:
    """``YYYY-MM-DDTHH:MM:SS.ffffff+00:00``: naive = UTC, aware converted, sub-µs floored."""
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError, OverflowError) as exc:
        raise AuditError(f"{where}: {value!r} is not a timestamp ({exc})") from None
    if ts is pd.NaT:
        raise AuditError(f"{where}: timestamp is missing (NaT)")
    ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
    return str(ts.floor("us").to_pydatetime().isoformat(timespec="microseconds"))


def _is_missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, np.datetime64 | np.timedelta64) and bool(np.isnat(value))


def mapping_text(value: Mapping[Any, Any], where: str) -> str:
    parts = []
    for key in sorted(_mapping_keys(value, where)):
        parts.append(quote(key) + ":" + encode_value(value[key], f"{where}[{key!r}]"))
    return "{" + ",".join(parts) + "}"


def _mapping_keys(value: Mapping[Any, Any], where: str) -> list[str]:
    keys = list(value.keys())
    for key in keys:
        if not isinstance(key, str):
            raise AuditError(f"{where}: mapping key {key!r} is not a string")
        if key.startswith(TAG_PREFIX):
            raise AuditError(
                f"{where}: mapping key {key!r} starts with {TAG_PREFIX!r}, which is reserved"
            )
    return keys


_EXACT: dict[type, Callable[[Any], str]] = {
    float: float_text,
    int: str,
    str: quote,
    bool: lambda b: "true" if b else "false",
}


def _sequence_text(value: Any, where: str) -> str:
    items = value.tolist() if isinstance(value, np.ndarray) else value
    return "[" + ",".join(encode_value(v, f"{where}[{i}]") for i, v in enumerate(items)) + "]"


_BY_KIND: tuple[tuple[Any, Callable[[Any, str], str]], ...] = (
    (bool | np.bool_, lambda v, _: "true" if v else "false"),
    (int | np.integer, lambda v, _: str(int(v))),
    (float | np.floating, lambda v, _: float_text(float(v))),
    (str, lambda v, _: quote(str(v))),
    (dt.datetime | np.datetime64, lambda v, w: '{"$timestamp":' + quote(timestamp_iso(v, w)) + "}"),
    (dt.date, lambda v, _: '{"$date":' + quote(v.isoformat()) + "}"),
    (Mapping, mapping_text),
    (list | tuple | np.ndarray, _sequence_text),
)


def encode_value(value: Any, where: str = "value") -> str:
    """The canonical JSON text of one value (``where`` names it in error messages)."""
    exact = _EXACT.get(type(value))
    if exact is not None:
        return exact(value)
    if _is_missing(value):
        return "null"
    for kinds, encode in _BY_KIND:
        if isinstance(value, kinds):
            return encode(value, where)
    raise AuditError(
        f"{where}: cannot encode a {type(value).__name__}; expected a number, bool, string, "
        "timestamp, date, missing value, or a list/mapping of those"
    )


def _utc_micro_strings(series: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """ISO strings of a datetime64 column (UTC, floored to µs) and its missing-value mask."""
    s = series.dt.tz_localize("UTC") if series.dt.tz is None else series.dt.tz_convert("UTC")
    naive = s.dt.floor("us").dt.tz_localize(None).to_numpy().astype("datetime64[us]")
    missing = np.isnat(naive)
    return np.char.add(np.datetime_as_string(naive, unit="us"), "+00:00"), missing


def encode_column(series: pd.Series, where: str) -> list[str]:
    """Canonical texts of a whole column: identical to ``encode_value`` per cell."""
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        texts, missing = _utc_micro_strings(series)
        return [
            "null" if m else '{"$timestamp":"' + t + '"}'
            for t, m in zip(texts.tolist(), missing.tolist(), strict=True)
        ]
    kind = series.dtype.kind if isinstance(series.dtype, np.dtype) else ""
    if kind == "f":
        return _float_column(series.to_numpy(dtype=np.float64))
    if kind in "iu" and kind:
        return list(map(str, series.tolist()))
    if kind == "b":
        return ["true" if v else "false" for v in series.tolist()]
    return [encode_value(v, where) for v in series.tolist()]


def _float_column(values: np.ndarray) -> list[str]:
    """``float_text`` over a float64 array: ``repr`` everywhere, then fix the special cells."""
    out = list(map(repr, values.tolist()))
    special = ~np.isfinite(values) | (np.trunc(values) == values)
    for i in np.flatnonzero(special).tolist():
        out[i] = float_text(float(values[i]))
    return out


def event_timestamp_texts(series: pd.Series, column: str, ids: Sequence[str]) -> list[str]:
    """Event timestamps as ISO UTC strings; strings are parsed, a missing one is an error."""
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        texts, missing = _utc_micro_strings(series)
        if missing.any():
            first = int(np.flatnonzero(missing)[0])
            raise AuditError(
                f"event timestamp column '{column}': missing value for prediction id {ids[first]!r}"
            )
        return list(texts.tolist())
    out = []
    for pid, value in zip(ids, series.tolist(), strict=True):
        where = f"event timestamp column '{column}' (prediction id {pid!r})"
        if _is_missing(value) or (isinstance(value, float) and math.isnan(value)):
            raise AuditError(f"{where}: timestamp is missing")
        out.append(timestamp_iso(value, where))
    return out


def prediction_id_text(value: Any, where: str) -> str:
    """Prediction ids are strings; integers (and integral floats) become their decimal form."""
    if isinstance(value, str) and value:
        return value
    if isinstance(value, int | np.integer) and not isinstance(value, bool | np.bool_):
        return str(int(value))
    if isinstance(value, float | np.floating) and math.isfinite(value) and value.is_integer():
        return str(int(value))
    raise AuditError(f"{where}: prediction id {value!r} is not a non-empty string or an integer")


def prediction_id_texts(series: pd.Series, column: str) -> list[str]:
    if pd.api.types.is_integer_dtype(series.dtype) and not series.hasnans:
        return [str(v) for v in series.tolist()]
    return [prediction_id_text(v, f"id column '{column}'") for v in series.tolist()]


def check_mapping_columns(frame: pd.DataFrame, columns: Sequence[Any], what: str) -> list[str]:
    """The columns of a mapping {column: value}: string keys, unique, present once each."""
    names = list(columns)
    _mapping_keys(dict.fromkeys(names), what)
    if len(set(names)) != len(names):
        raise AuditError(f"{what}: column names are not unique: {names}")
    missing = [c for c in names if c not in frame.columns]
    if missing:
        raise AuditError(f"{what}: column(s) {missing} not in the data")
    doubled = [c for c in names if isinstance(frame[c], pd.DataFrame)]
    if doubled:
        raise AuditError(f"{what}: the data has several columns named {doubled}")
    return names


def rows_of_mappings(frame: pd.DataFrame, columns: Sequence[Any], what: str) -> list[str]:
    """Per row, the canonical text of the mapping {column: value} over ``columns``."""
    names = check_mapping_columns(frame, columns, what)
    ordered = sorted(names)
    if not ordered:
        return ["{}"] * len(frame)
    prefixes = [quote(c) + ":" for c in ordered]
    cols = [encode_column(frame[c], f"{what} column '{c}'") for c in ordered]
    return [
        "{" + ",".join(p + v for p, v in zip(prefixes, row, strict=True)) + "}"
        for row in zip(*cols, strict=True)
    ]


def record_text(
    event_timestamp: str, features: str, fingerprint: str, prediction: str, prediction_id: str
) -> str:
    """Assemble one record from already-canonical parts (keys in sorted order)."""
    return (
        '{"event_timestamp":'
        + quote(event_timestamp)
        + ',"features":'
        + features
        + ',"model_fingerprint":'
        + quote(fingerprint)
        + ',"prediction":'
        + prediction
        + ',"prediction_id":'
        + quote(prediction_id)
        + ',"v":'
        + str(ENCODING_VERSION)
        + "}"
    )


def utf8(text: str, where: str) -> bytes:
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise AuditError(f"{where}: text is not valid Unicode ({exc.reason})") from None


def canonical_record(
    features: Mapping[str, Any],
    *,
    model_fingerprint: str,
    event_timestamp: Any,
    prediction_id: Any,
    prediction: Any,
) -> bytes:
    """The exact bytes that are hashed for one prediction (encoding version 1)."""
    if not isinstance(features, Mapping):
        raise AuditError(f"features: expected a mapping column → value, got {type(features)}")
    if not isinstance(model_fingerprint, str) or not model_fingerprint:
        raise AuditError("model_fingerprint: expected a non-empty string")
    pid = prediction_id_text(prediction_id, "prediction_id")
    text = record_text(
        timestamp_iso(event_timestamp, "event_timestamp"),
        mapping_text(features, "features"),
        model_fingerprint,
        encode_value(prediction, "prediction"),
        pid,
    )
    return utf8(text, f"prediction id {pid!r}")
