"""A chain that grows batch by batch: the segment of an online audit log.

``build_audit`` hashes one scored batch and chains it from its own genesis. An online server
audits many small batches (one per model call) into one long chain per *segment*:
``RunningChain.extend`` hashes a micro-batch's records with the same canonical encoding
(encoding version 1, docs/audit.md) straight from its columns — no DataFrame, so a one-row
batch costs microseconds — and links them after the last record, so seq continues and every
link covers its predecessor across batches (``append`` does the same for a table that
``build_audit`` produced). The finished segment is an ordinary audit table + manifest:
``verify_chain`` checks it exactly like a batch.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from glassbox.audit import _engine
from glassbox.audit._build import TABLE_COLUMNS
from glassbox.audit._chain import LinkFields, genesis, link
from glassbox.audit._encoding import (
    encode_value,
    event_timestamp_texts,
    float_text,
    mapping_text,
    prediction_id_text,
    quote,
    record_text,
    utf8,
)
from glassbox.audit._errors import AuditError
from glassbox.audit._hashing import Hasher
from glassbox.audit._manifest import AuditManifest, ModelIdentity
from glassbox.audit._texts import TextColumn, framed

CHUNK_ROWS = 8192  # rows per chunk of a micro-batch at most, a quarter of it at least
MIN_CHUNK_ROWS = 2048  # (down to this): a batch of more is hashed in chunks by this thread
# and a worker thread while this one links them. Measured (2 cores, car-loan rows, best of
# 200): 4,096 rows 5.4 -> 4.7 ms, 8,192 10.6 -> 7.9 ms, 16,384 15.8 -> 13.8 ms against one
# 8,192-row chunk size; 65,536 rows fastest with 8,192
NATIVE_MIN_ROWS = 64  # below, the native engine's set-up per call costs more than the
# reference engine's whole batch (CPU per call, measured: 1 row 0.5 vs 0.16 ms; 64 rows 0.55
# vs 0.7 ms); GLASSBOX_AUDIT_ENGINE=native takes it for every batch


@dataclass(frozen=True)
class ChainRows:
    """The visible fields of appended records, as the audit table and the log store them (the
    texts as ``TextColumn``s: UTF-8 buffers, a Python string per row only when asked)."""

    seq: np.ndarray
    prediction_id: list[str]
    event_timestamp: TextColumn  # canonical ISO UTC text
    prediction: TextColumn  # canonical JSON text
    record_hash: TextColumn
    chain_hash: TextColumn
    meanwhile: Any = None  # what ``extend``'s ``meanwhile`` returned


class RunningChain:
    """One segment's chain: genesis from (``batch_id``, model), then every appended record.

    ``append`` takes tables that ``build_audit`` produced for the same model and hash
    algorithm; ``manifest`` anchors what was appended so far. Resuming a chain after a restart
    (``resume``) needs only the genesis side and the last link.
    """

    def __init__(self, batch_id: str, model: ModelIdentity, key: bytes | str | None = None) -> None:
        if not isinstance(batch_id, str) or not batch_id:
            raise AuditError("batch_id: expected a non-empty string")
        self._hasher = Hasher(key)
        self.batch_id = batch_id
        self.model = model
        self.genesis = genesis(batch_id, model, self._hasher)
        self.root = self.genesis
        self.count = 0
        self._native: Any = None  # the native engine's hasher, made on first use

    @property
    def hash_alg(self) -> str:
        return self._hasher.alg

    def _check(self, table: pd.DataFrame) -> None:
        missing = [c for c in TABLE_COLUMNS if c not in table.columns]
        if missing:
            raise AuditError(f"append: audit table lacks column(s) {missing}")
        expected = {
            "model_name": self.model.name,
            "model_version": self.model.version,
            "model_fingerprint": self.model.fingerprint,
            "hash_alg": self._hasher.alg,
        }
        for column, value in expected.items():
            if len(table) and not (table[column].astype(str) == value).all():
                raise AuditError(
                    f"append: column {column!r} differs from the chain's {value!r}: "
                    "a segment holds one model and one hash algorithm"
                )

    def append(self, table: pd.DataFrame) -> ChainRows:
        """Link the records of ``table`` (from ``build_audit``) after the last one, in order."""
        self._check(table)
        ids = table["prediction_id"].astype(str).tolist()
        stamps = event_timestamp_texts(table["event_timestamp"], "event_timestamp", ids)
        preds = table["prediction"].astype(str).tolist()
        hashes = table["record_hash"].astype(str).tolist()
        start = self.count
        links: list[str] = []
        prev = self.root
        for offset, fields in enumerate(zip(hashes, ids, stamps, preds, strict=True)):
            prev = link(self._hasher, prev, start + offset, LinkFields(*fields))
            links.append(prev)
        self.root = prev
        self.count += len(ids)
        seq = np.arange(start, self.count, dtype=np.int64)
        texts = (TextColumn.of(t) for t in (stamps, preds, hashes, links))
        return ChainRows(seq, ids, *texts)

    def extend(
        self,
        features: dict[str, np.ndarray],
        prediction_ids: list[str],
        event_timestamps: np.ndarray,
        predictions: dict[str, np.ndarray],
        meanwhile: Callable[[list[str]], Any] | None = None,
    ) -> ChainRows:
        """Hash and link a micro-batch given as columns: ``features`` (name → values as the
        model saw them), ids, event times (``datetime64``, UTC) and the model's outputs
        (name → values, e.g. ``{"y_pred": labels, "y_pred_proba": probabilities}``).
        ``meanwhile`` (e.g. encoding the batch's other log fields) runs on this thread while
        a worker thread hashes the first chunk, given the ids' texts; its result is
        ``ChainRows.meanwhile``.

        The record hashes equal those ``build_audit`` computes for the same rows, written by
        the same engines: the native one once ``warm_up()`` ran (for batches of at least
        ``NATIVE_MIN_ROWS`` rows under ``auto``), the reference one otherwise.
        """
        n = len(prediction_ids)
        for name, column in (*features.items(), *predictions.items()):
            if len(column) != n:
                raise AuditError(f"extend: column {name!r} has {len(column)} values for {n} ids")
        mapping_text(dict.fromkeys(features), "features")  # keys: strings, none reserved
        mapping_text(dict.fromkeys(predictions), "predictions")
        ids = _id_texts(prediction_ids)
        micros = _micros(event_timestamps)
        batch = _Columns(features, ids, micros, predictions)
        native = _engine.use_native(n, smallest=NATIVE_MIN_ROWS)
        built = _native_texts(batch, self, meanwhile) if native else None
        if built is None:
            columns = _reference(batch, self)
            done = meanwhile(ids) if meanwhile else None
            built = (*columns, done, columns[-1][-1] if n else "")
        stamps, preds, hashes, links, done, root = built
        start = self.count
        self.root = root if n else self.root
        self.count += n
        seq = np.arange(start, self.count, dtype=np.int64)
        return ChainRows(seq, ids, stamps, preds, hashes, links, done)

    def manifest(self, feature_columns: tuple[str, ...]) -> AuditManifest:
        return AuditManifest(
            batch_id=self.batch_id,
            count=self.count,
            genesis=self.genesis,
            root=self.root,
            hash_alg=self._hasher.alg,
            model=self.model,
            feature_columns=tuple(feature_columns),
        )


@dataclass(frozen=True)
class _Columns:
    """A micro-batch as ``extend`` checked it: ids as their texts, event times as int64 UTC
    microseconds."""

    features: dict[str, np.ndarray]
    ids: list[str]
    micros: np.ndarray
    predictions: dict[str, np.ndarray]


Texts = tuple[TextColumn, TextColumn, TextColumn, TextColumn]
# event times, predictions, record hashes, chain links


def _native_texts(
    batch: _Columns, chain: RunningChain, meanwhile: Callable[[list[str]], Any] | None
) -> tuple[TextColumn, TextColumn, TextColumn, TextColumn, Any, str] | None:
    """The native engine's texts, what ``meanwhile`` returned and the last link; None when
    it declines the batch (an event time outside years 1..9999, say). The compiled loops
    write each record's event time themselves; the column of their texts (for the log) is
    made here while a worker thread hashes the first chunk, with ``meanwhile``."""
    from glassbox.audit import _native, _parallel
    from glassbox.audit._cells import Fallback

    def here() -> tuple[TextColumn, Any]:
        return _iso_texts(batch.micros, with_json=True), meanwhile(batch.ids) if meanwhile else None

    try:
        if chain._native is None:
            chain._native = _parallel.Engine(chain._hasher._key)
        plan = _native.columns_plan(
            batch.features, batch.ids, batch.micros, batch.predictions, chain.model.fingerprint
        )
        out = _parallel.chained(
            plan,
            chain._native,
            chain.root,
            chain.count,
            lambda _: {},
            chunk_rows=min(CHUNK_ROWS, max(MIN_CHUNK_ROWS, len(batch.ids) // 4)),
            json=True,
            meanwhile=here,
        )
    except Fallback:
        return None
    stamps, done = out.meanwhile
    hashes = np.concatenate(out.hashes) if len(out.hashes) > 1 else out.hashes[0]
    return (
        stamps,
        TextColumn.concat(out.preds, out.preds_json),
        TextColumn.fixed(hashes, 64, plain=True, pieces=out.hashes_json),
        TextColumn.fixed(out.chain, 64, plain=True, pieces=out.chain_json),
        done,
        out.root,
    )


def _reference(batch: _Columns, chain: RunningChain) -> Texts:
    """The reference engine: the documented encoding, one Python call per value."""
    n = len(batch.ids)
    feats = _mapping_rows(batch.features, "features", n)
    preds = _mapping_rows(batch.predictions, "predictions", n)
    column = _iso_texts(batch.micros)
    stamps = column.tolist()
    fingerprint = chain.model.fingerprint
    records = [
        utf8(record_text(ts, f, fingerprint, p, pid), f"prediction id {pid!r}")
        for ts, f, p, pid in zip(stamps, feats, preds, batch.ids, strict=True)
    ]
    hashes = chain._hasher.hex_many(records)
    links: list[str] = []
    prev = chain.root
    for offset, fields in enumerate(zip(hashes, batch.ids, stamps, preds, strict=True)):
        prev = link(chain._hasher, prev, chain.count + offset, LinkFields(*fields))
        links.append(prev)
    return column, TextColumn.of(preds), TextColumn.of(hashes), TextColumn.of(links)


def _micros(stamps: np.ndarray) -> np.ndarray:
    """UTC ``datetime64`` values as int64 microseconds (floored to µs)."""
    values = np.asarray(stamps)
    if values.dtype.kind != "M":
        raise AuditError(f"event timestamps: expected datetime64 values, got {values.dtype}")
    micro = values.astype("datetime64[us]")
    if np.isnat(micro).any():
        raise AuditError("event timestamps: a timestamp is missing (NaT)")
    return micro.view(np.int64)


ISO_BYTES = 32  # YYYY-MM-DDTHH:MM:SS.ffffff+00:00


def _iso_texts(micros: np.ndarray, with_json: bool = False) -> TextColumn:
    """``YYYY-MM-DDTHH:MM:SS.ffffff+00:00`` of UTC microseconds (each run of equal times
    formatted once: a server's batch holds one time per request); ``with_json``: with their JSON
    array elements written (a log line's)."""
    n = micros.size
    if n < NATIVE_MIN_ROWS:  # a few rows: Python strings (the reference engine takes them)
        texts = np.datetime_as_string(micros.view("datetime64[us]"), unit="us").tolist()
        return TextColumn.of([t + "+00:00" for t in texts])
    first = np.ones(n, np.bool_)
    np.not_equal(micros[1:], micros[:-1], out=first[1:])
    runs = np.cumsum(first) - 1
    table = _iso_table(micros[first]) if _engine.loaded() else None
    if table is not None:
        data = table[runs].reshape(-1)
        pieces = [framed(data, ISO_BYTES)] if with_json else None
        return TextColumn.fixed(data, ISO_BYTES, plain=True, pieces=pieces)
    texts = np.datetime_as_string(micros[first].view("datetime64[us]"), unit="us")
    if n == 0 or (np.char.str_len(texts) != ISO_BYTES - 6).any():  # years beyond 9999
        return TextColumn.of([t + "+00:00" for t in texts[runs].tolist()])
    table = np.empty((texts.size, ISO_BYTES), np.uint8)
    table[:, :-6] = texts.astype(f"S{ISO_BYTES - 6}").view(np.uint8).reshape(texts.size, -1)
    table[:, -6:] = np.frombuffer(b"+00:00", np.uint8)
    return TextColumn.fixed(table[runs].reshape(-1), ISO_BYTES, plain=True)


def _iso_table(micros: np.ndarray) -> np.ndarray | None:
    """The texts of UTC microseconds as rows of ``ISO_BYTES`` bytes, by the compiled loop;
    None when one is outside years 1..9999."""
    from glassbox.audit import _numtext

    n = micros.size
    buf = np.empty(n * ISO_BYTES + 64, np.uint8)
    cells = (buf, np.empty(n, np.int64), np.empty(n, np.int64), np.zeros(n, np.bool_))
    _numtext.timestamp_cells((micros, np.zeros(n, np.bool_)), False, cells, 0, ISO_BYTES)
    if cells[3].any() or ((cells[2] - cells[1]) != ISO_BYTES).any():
        return None
    return buf[: n * ISO_BYTES].reshape(n, ISO_BYTES)


def _id_texts(values: list[Any]) -> list[str]:
    """The ids' texts: non-empty strings as they are (checked in C), others one by one."""
    try:
        "".join(values)
        if "" not in values:
            return list(values)
    except TypeError:
        pass
    return [prediction_id_text(v, "prediction_id") for v in values]


def _cells(values: np.ndarray, where: str) -> list[str]:
    """Canonical texts of one column's values (as ``encode_value`` gives them, faster for the
    float64 and text columns a model is fed)."""
    array = np.asarray(values)
    if array.dtype == np.float64:
        return _float_cells(array)
    items = array.tolist()
    if array.dtype == object and all(type(v) is str for v in items):
        return list(map(quote, items))
    return [encode_value(v, where) for v in items]


def _float_cells(array: np.ndarray) -> list[str]:
    """``float_text`` of every value: integral ones (exact below 2**53) as integers, the rest by
    ``repr``, infinities and NaN through ``float_text`` itself."""
    finite = np.isfinite(array)
    integral = finite & (np.trunc(array) == array) & (np.abs(array) < 2.0**53)
    if integral.all():
        return list(map(str, array.astype(np.int64).tolist()))
    out = list(map(repr, array.tolist()))
    where = np.flatnonzero(integral)
    for i, text in zip(where.tolist(), map(str, array[where].astype(np.int64).tolist()),
                       strict=True):  # fmt: skip
        out[i] = text
    for i in np.flatnonzero(~integral & ~finite).tolist():
        out[i] = float_text(float(array[i]))
    for i in np.flatnonzero(finite & (np.abs(array) >= 2.0**53)).tolist():
        out[i] = float_text(float(array[i]))
    return out


def _mapping_rows(columns: dict[str, np.ndarray], what: str, n: int) -> list[str]:
    """Per row, the canonical text of {column: value}; the same text as ``mapping_text``."""
    names = sorted(columns)
    mapping_text(dict.fromkeys(names), what)  # keys: strings, none reserved
    if not names:
        return ["{}"] * n
    # one %-format per row: {"a":%s,"b":%s} (a '%' in a column name escaped)
    template = "{" + ",".join(quote(name).replace("%", "%%") + ":%s" for name in names) + "}"
    cells = [_cells(columns[name], f"{what} column {name!r}") for name in names]
    return [template % row for row in zip(*cells, strict=True)]


def table_of(rows: ChainRows, model: ModelIdentity, hash_alg: str) -> pd.DataFrame:
    """The audit table (exactly ``TABLE_COLUMNS``) of records read back from a log."""
    stamps = pd.Series(rows.event_timestamp.tolist(), dtype=object)
    parsed = pd.to_datetime(stamps, format="ISO8601")
    return pd.DataFrame(
        {
            "seq": np.asarray(rows.seq, dtype=np.int64),
            "prediction_id": pd.Series(rows.prediction_id, dtype=object),
            "event_timestamp": parsed.dt.tz_convert("UTC").astype("datetime64[us, UTC]"),
            "prediction": pd.Series(rows.prediction.tolist(), dtype=object),
            "record_hash": pd.Series(rows.record_hash.tolist(), dtype=object),
            "chain_hash": pd.Series(rows.chain_hash.tolist(), dtype=object),
            "model_name": model.name,
            "model_version": model.version,
            "model_fingerprint": model.fingerprint,
            "hash_alg": hash_alg,
        },
        columns=list(TABLE_COLUMNS),
    )
