"""Columns as text cells for the native engine: numbers, timestamps and dictionaries.

A column is either *numeric* (float64 / int64 / UTC microseconds, turned into text by a
compiled loop), a *dictionary* (the canonical text of each distinct value, from the reference
encoder, and a code per row), or *texts* (the reference encoder's text per row, for values the
fast paths do not cover). Object columns are classified chunk by chunk, as chunks are staged.
Every text is the reference encoder's, byte for byte.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from glassbox.audit._encoding import (
    encode_value,
    event_timestamp_texts,
    float_text,
    prediction_id_texts,
    quote,
)
from glassbox.audit._errors import AuditError

NUMERIC = ("float", "int", "event", "timestamp")
SMALL_CHUNK = 512  # rows up to which strings are encoded with a dict, not pandas
Texts = tuple[np.ndarray, np.ndarray, np.ndarray]  # (rows, offsets, utf-8 data)


class Fallback(Exception):  # noqa: N818  (a signal, not an error: use the reference engine)
    """Raised when a batch holds values the native engine leaves to the reference engine."""


@dataclass
class Column:
    """One column. ``kind``: float | int | event | timestamp (numeric ``values``), dict
    (``codes`` into ``texts``), texts (one text per row), joined (the texts of every row in
    one ``blob``, row i at ``bounds[i]:bounds[i + 1]``), object (Python objects, made into a
    dictionary or texts chunk by chunk)."""

    kind: str
    where: str
    values: np.ndarray | None = None  # float64 / int64 / int64 microseconds
    missing: np.ndarray | None = None  # timestamps: NaT
    codes: np.ndarray | None = None
    texts: list[bytes] = field(default_factory=list)
    objects: np.ndarray | None = None  # an object column's values
    labels: list[str] | None = None  # ids given as strings: the ids themselves
    width: int = 32  # bytes per numeric cell (a float/int text is at most 24)
    blob: bytes = b""
    bounds: np.ndarray | None = None
    bare: bool = False  # strings whose cells are the texts unquoted (the template quotes them)

    def dictionary(self, lo: int, hi: int) -> tuple[np.ndarray, list[bytes]]:
        """Codes of rows lo..hi and the texts they index."""
        if self.kind == "dict":
            assert self.codes is not None
            return self.codes[lo:hi], self.texts
        if self.kind == "texts":
            return np.arange(hi - lo, dtype=np.int64), self.texts[lo:hi]
        assert self.objects is not None
        part = self.objects[lo:hi]
        if hi - lo <= SMALL_CHUNK:
            small = _small_dictionary(part.tolist(), self.where)
            if small is not None:
                return small
        found = _dictionary(part, self.where)
        if found is None:
            return np.arange(hi - lo, dtype=np.int64), _reference_texts(part, self.where)
        return found


def _utf8(text: str, where: str) -> bytes:
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise AuditError(f"{where}: text is not valid Unicode ({exc.reason})") from None


def _reference_texts(values: np.ndarray, where: str) -> list[bytes]:
    return [_utf8(encode_value(v, where), where) for v in values.tolist()]


def _small_dictionary(values: Any, where: str) -> tuple[np.ndarray, list[bytes]] | None:
    """A few rows of plain strings (a server's micro-batch): a dict beats pandas' set-up."""
    memo: dict[str, int] = {}
    codes = np.empty(len(values), np.int64)
    for i, value in enumerate(values):
        if type(value) is not str:
            return None
        code = memo.get(value)
        if code is None:
            code = memo[value] = len(memo)
        codes[i] = code
    return codes, [_utf8(quote(text), where) for text in memo]


def _dictionary(values: np.ndarray, where: str) -> tuple[np.ndarray, list[bytes]] | None:
    """Strings (with missing values): one text per distinct value, or None. Values that
    compare equal share a code, so a column is taken only if every distinct value is a str."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    if not all(isinstance(u, str) for u in uniques):
        return None
    texts = [_utf8(quote(u), where) for u in uniques]
    codes = codes.astype(np.int64)
    if (codes < 0).any():
        nulls = {encode_value(v, where) for v in values[codes < 0].tolist()}
        if nulls != {"null"}:  # e.g. Decimal("NaN"): pandas calls it missing, we do not
            return None
        codes[codes < 0] = len(texts)
        texts.append(b"null")
    return codes, texts


_NAT = np.iinfo(np.int64).min


def _utc_micros(series: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Microseconds since the epoch (naive = UTC, aware converted, sub-µs floored), and NaT."""
    dtype = series.dtype
    unit = dtype.unit if isinstance(dtype, pd.DatetimeTZDtype) else np.datetime_data(dtype)[0]
    if unit in ("ns", "us"):  # the epoch offsets of aware values are UTC already
        i8 = np.asarray(series.array.asi8)
        missing = i8 == _NAT
        return (np.floor_divide(i8, 1000) if unit == "ns" else i8), missing
    s = series.dt.tz_localize("UTC") if series.dt.tz is None else series.dt.tz_convert("UTC")
    naive = s.dt.floor("us").dt.tz_localize(None).to_numpy().astype("datetime64[us]")
    return naive.view(np.int64), np.isnat(naive)


def column(series: pd.Series, where: str) -> Column:
    """A feature or prediction column (the same texts as ``encode_column``)."""
    dtype = series.dtype
    if pd.api.types.is_datetime64_any_dtype(dtype):
        micros, missing = _utc_micros(series)
        return Column("timestamp", where, values=micros, missing=missing, width=64)
    kind = dtype.kind if isinstance(dtype, np.dtype) else ""
    if kind == "f":
        return float_column(series.to_numpy(dtype=np.float64), where)
    if kind == "i" or (kind == "u" and (len(series) == 0 or series.max() <= np.iinfo("i8").max)):
        return Column("int", where, values=series.to_numpy(dtype=np.int64))
    if kind == "b":
        codes = series.to_numpy().astype(np.int64)
        return Column("dict", where, codes=codes, texts=[b"false", b"true"])
    if isinstance(dtype, pd.CategoricalDtype):
        codes = series.cat.codes.to_numpy().astype(np.int64)
        texts = [_utf8(encode_value(u, where), where) for u in series.cat.categories]
        codes[codes < 0] = len(texts)
        return Column("dict", where, codes=codes, texts=[*texts, b"null"])
    return Column("object", where, objects=series.to_numpy(dtype=object))


def quoted_column(texts: list[str], where: str) -> Column:
    """Strings as their quoted JSON texts (ids given as strings): when all are ASCII and none
    needs escaping, the texts themselves in one blob (``bare``: the template adds the quotes),
    no object per row; the reference ``quote`` of each otherwise."""
    n = len(texts)
    joined = "\x00".join(texts)  # NUL: a separator no plain text holds
    if n == 0 or not joined.isascii():
        return texts_column([quote(t) for t in texts], where, texts)
    raw = np.frombuffer(joined.encode("ascii"), np.uint8)
    cuts = np.flatnonzero(raw == 0)
    text = raw[raw != 0]
    if cuts.size != n - 1 or ((text < 32) | (text == 34) | (text == 92)).any():
        return texts_column([quote(t) for t in texts], where, texts)
    bounds = np.empty(n + 1, np.int64)
    bounds[0], bounds[-1] = 0, text.size
    np.subtract(cuts, np.arange(n - 1), out=bounds[1:-1])
    blob = text.tobytes()
    return Column("joined", where, blob=blob, bounds=bounds, labels=texts, bare=True)


def float_column(values: np.ndarray, where: str) -> Column:
    """float64 values; integral ones beyond int64 get long cells."""
    peak = float(np.fmax.reduce(np.abs(values), initial=0.0))  # NaN skipped, inf kept
    huge = peak >= 9.2e18 and bool((np.abs(values[np.isfinite(values)]) >= 9.2e18).any())
    return Column("float", where, values=values, width=320 if huge else 32)


def texts_column(texts: list[str], where: str, labels: list[str] | None = None) -> Column:
    return Column("texts", where, texts=[_utf8(t, where) for t in texts], labels=labels)


def event_column(series: pd.Series, column_name: str, ids: Column) -> Column:
    """Event timestamps: bare ISO text; a missing one is an error naming the prediction id."""
    where = f"event timestamp column '{column_name}'"
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        micros, missing = _utc_micros(series)
        if missing.any():
            first = int(np.flatnonzero(missing)[0])
            raise AuditError(f"{where}: missing value for prediction id {id_text(ids, first)!r}")
        return Column("event", where, values=micros, missing=missing)
    return texts_column(event_timestamp_texts(series, column_name, id_texts(ids)), where)


def id_column(series: pd.Series, column_name: str) -> Column:
    """Prediction ids: integers as digits (quoted by the template), else quoted strings."""
    if pd.api.types.is_integer_dtype(series.dtype) and isinstance(series.dtype, np.dtype):
        return Column("int", f"id column '{column_name}'", values=series.to_numpy(np.int64))
    texts = prediction_id_texts(series, column_name)
    return texts_column([quote(t) for t in texts], f"id column '{column_name}'", texts)


def id_text(ids: Column, row: int) -> str:
    if ids.kind == "int":
        assert ids.values is not None
        return str(int(ids.values[row]))
    return id_texts(ids)[row]


def id_texts(ids: Column) -> list[str]:
    if ids.kind == "int":
        assert ids.values is not None
        return [str(v) for v in ids.values.tolist()]
    assert ids.labels is not None
    return ids.labels


def check_unique(ids: Column, column_name: str) -> None:
    """Prediction ids must be unique (as texts)."""
    if ids.kind == "int":
        assert ids.values is not None
        if ids.values.size < 4096 and len(set(ids.values.tolist())) == ids.values.size:
            return
        dup = pd.Series(ids.values).duplicated(keep=False).to_numpy()
        values = [str(v) for v in np.unique(ids.values[dup]).tolist()] if dup.any() else []
    else:
        labels = pd.Series(id_texts(ids), dtype=object)
        values = sorted(set(labels[labels.duplicated(keep=False)]))
    if values:
        raise AuditError(
            f"id column '{column_name}': prediction ids are not unique: {sorted(values)[:5]}"
        )


def fallback_floats(values: np.ndarray, rows: np.ndarray) -> list[Texts]:
    """The reference texts of the float cells the compiled loop left (``rows``)."""
    return [joined(rows, [float_text(float(v)) for v in values[rows].tolist()])]


def joined(rows: np.ndarray, texts: list[str]) -> Texts:
    encoded = [t.encode("utf-8") for t in texts]
    offsets = np.zeros(len(encoded) + 1, np.int64)
    np.cumsum([len(t) for t in encoded], out=offsets[1:])
    return rows, offsets, np.frombuffer(b"".join(encoded), np.uint8)


def strings(values: Any) -> Any:
    """Arrow strings of a column of ids (int64 values or labels)."""
    import pyarrow as pa

    if isinstance(values, np.ndarray):
        return pa.array(values).cast(pa.large_string())
    return pa.array(values, pa.large_string())
