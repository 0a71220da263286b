"""The native engine of ``build_audit``: the reference engine's bytes, from compiled loops.

Rows go in chunks. Two threads (the caller's and a pool worker) turn a chunk's columns into
text cells, build each record from a template and hash it (the compiled loops release the
GIL), and build the table's other columns; the caller chains the chunks in order, the one
sequential part (one short link hashed per row).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from glassbox.audit import _cells as cells
from glassbox.audit._cells import NUMERIC, Column, Fallback
from glassbox.audit._encoding import ENCODING_VERSION, check_mapping_columns, quote

CHUNK_ROWS = 65_536
TS, PID, PRED, RH = 0, 1, 2, 3  # fixed column slots; features and prediction parts follow
DICT, NUM, PREDS, HASHES = 0, 1, 2, 3  # the buffers a chunk's cells live in
PAD = 64  # bytes after every buffer: pieces are copied in whole 8-byte words
_LONGEST = {"int": 20, "event": 32, "timestamp": 49}  # float: its cell width (texts <= 24)


class _Template:
    """Literal bytes and column codes; consecutive literals are merged."""

    def __init__(self, lits: list[bytes]) -> None:
        self.lits = lits
        self.codes: list[int] = []

    def text(self, value: str) -> _Template:
        if self.codes and -len(self.lits) <= self.codes[-1] < 0:
            self.lits[-1 - self.codes[-1]] += value.encode("utf-8")
        else:
            self.lits.append(value.encode("utf-8"))
            self.codes.append(-len(self.lits))
        return self

    def col(self, code: int) -> _Template:
        self.codes.append(code)
        return self

    def mapping(self, names: Sequence[str], first: int) -> _Template:
        self.text("{")
        for i, name in enumerate(sorted(names)):
            self.text(("," if i else "") + quote(name) + ":").col(first + list(names).index(name))
        return self.text("}")

    def array(self) -> np.ndarray:
        return np.array(self.codes, dtype=np.int64)


@dataclass
class Plan:
    """The batch's columns and the three templates: record, prediction text, chain link."""

    columns: list[Column]
    record: np.ndarray
    prediction: np.ndarray
    chain: np.ndarray
    lits: list[bytes]
    rows: int
    id_column: str


def plan(
    batch: pd.DataFrame,
    predictions: Any,
    *,
    feature_columns: Sequence[str],
    id_column: str,
    timestamp_column: str,
    fingerprint: str,
) -> Plan:
    ids = cells.id_column(batch[id_column], id_column)
    events = cells.event_column(batch[timestamp_column], timestamp_column, ids)
    names = check_mapping_columns(batch, feature_columns, "features")
    features = [cells.column(batch[c], f"features column '{c}'") for c in names]
    parts, pred_names = _prediction_columns(predictions, len(batch))
    keys = (ids, events, id_column, len(batch))
    return _plan_of(keys, (names, features), (pred_names, parts), fingerprint)


def columns_plan(
    features: dict[str, np.ndarray],
    ids: list[str],
    micros: np.ndarray,
    predictions: dict[str, np.ndarray],
    fingerprint: str,
) -> Plan:
    """The plan of a batch given as columns (``RunningChain.extend``): ids already as their
    texts, event times as int64 UTC microseconds, predictions as a mapping {name: values}."""
    where = "prediction_id"
    id_col = cells.quoted_column(ids, where)
    events = Column("event", "event timestamps", values=micros, missing=np.zeros(len(ids), bool))
    feats = [_array_column(v, f"features column '{c}'") for c, v in features.items()]
    parts = [_array_column(v, f"predictions column '{c}'") for c, v in predictions.items()]
    keys = (id_col, events, where, len(ids))
    return _plan_of(keys, (list(features), feats), (list(predictions), parts), fingerprint)


def _array_column(values: np.ndarray, where: str) -> Column:
    """A column given as an array: float64, int64 and object ones as they are, others as a
    Series."""
    if isinstance(values, np.ndarray) and values.ndim == 1:
        if values.dtype == np.float64:
            return cells.float_column(values, where)
        if values.dtype == np.int64:
            return Column("int", where, values=values)
        if values.dtype == object:
            return Column("object", where, objects=values)
    return cells.column(pd.Series(values), where)


def _plan_of(
    keys: tuple[Column, Column, str, int],
    features: tuple[list[str], list[Column]],
    predictions: tuple[list[str] | None, list[Column]],
    fingerprint: str,
) -> Plan:
    """The record, prediction and chain templates over the keys (ids, event times, id column
    name, rows), the feature columns and the prediction columns (named: a mapping per row;
    unnamed: one value per row)."""
    ids, events, id_column, rows = keys
    names, feats = features
    pred_names, parts = predictions
    columns = [events, ids, Column("assembled", "predictions"), Column("hashes", "record_hash")]
    columns += feats + parts
    quoted = ids.kind == "int" or ids.bare  # digits / bare texts: quoted by the templates
    preds = None if pred_names is None else tuple(pred_names)
    *templates, lits = _templates(tuple(names), preds, fingerprint, quoted)
    record, prediction, chain = (t.copy() for t in templates)
    return Plan(columns, record, prediction, chain, list(lits), rows, id_column)


@functools.lru_cache(maxsize=64)  # a server's batches share one schema and model
def _templates(
    names: tuple[str, ...], pred_names: tuple[str, ...] | None, fingerprint: str, quoted: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray, tuple[bytes, ...]]:
    """The record, prediction and chain templates and their literals (copied for each plan:
    the kernels take writable arrays)."""
    from glassbox.audit._kernels import PREV, SEQ

    lits: list[bytes] = []
    q = '"' if quoted else ""
    record = _Template(lits).text('{"event_timestamp":"').col(TS).text('","features":')
    record.mapping(names, 4).text(',"model_fingerprint":' + quote(fingerprint))
    record.text(',"prediction":').col(PRED).text(',"prediction_id":' + q).col(PID)
    record.text(f'{q},"v":{ENCODING_VERSION}}}')
    p0 = 4 + len(names)
    prediction = _Template(lits)
    prediction.col(p0) if pred_names is None else prediction.mapping(pred_names, p0)
    chain = _Template(lits).text('["').col(PREV).text('",').col(SEQ).text(',"').col(RH)
    chain.text('",' + q).col(PID).text(q + ',"').col(TS).text('",').col(PRED).text("]")
    return record.array(), prediction.array(), chain.array(), tuple(lits)


def _prediction_columns(predictions: Any, rows: int) -> tuple[list[Column], list[str] | None]:
    from glassbox.audit._build import prediction_texts

    if isinstance(predictions, np.ndarray) and predictions.ndim == 1:
        predictions = pd.Series(predictions)
    if isinstance(predictions, pd.Series) and len(predictions) == rows:
        return [cells.column(predictions, "predictions")], None
    if isinstance(predictions, pd.DataFrame) and len(predictions) == rows:
        names = check_mapping_columns(predictions, list(predictions.columns), "predictions")
        where = "predictions column '{}'"
        return [cells.column(predictions[c], where.format(c)) for c in names], names
    return [cells.texts_column(prediction_texts(predictions, rows), "predictions")], None


@dataclass
class Chunk:
    lo: int
    starts: np.ndarray  # (rows, columns)
    ends: np.ndarray
    bufs: list[np.ndarray]  # DICT (literals first), NUM, PREDS, HASHES
    lits: np.ndarray  # (literal, [start, end]) in bufs[DICT]
    where: np.ndarray  # the buffer of each column
    longest: list[int] = field(default_factory=list)  # longest text per column
    offsets: np.ndarray | None = None  # prediction texts in bufs[PREDS]
    json: memoryview | None = None  # those texts as JSON array elements, when asked


def _padded(size: int, pad: int = PAD) -> np.ndarray:
    return np.empty(size + pad, np.uint8)


def _dictionaries(plan: Plan, lo: int, hi: int, starts: np.ndarray, ends: np.ndarray) -> Chunk:
    """Literals and every dictionary column's texts in one buffer, their cells addressed."""
    blobs = list(plan.lits)
    bounds = np.cumsum([0, *(len(b) for b in blobs)]).astype(np.int64)
    lits = np.stack([bounds[:-1], bounds[1:]], axis=1) if blobs else np.zeros((1, 2), np.int64)
    pos, longest = int(bounds[-1]), [0] * len(plan.columns)
    for c, col in enumerate(plan.columns):
        if col.kind in NUMERIC or col.kind in ("assembled", "hashes"):
            longest[c] = col.width if col.kind == "float" else _LONGEST.get(col.kind, 64)
            continue
        if col.kind == "joined":
            pos, longest[c] = _joined(col, (lo, hi), (starts[:, c], ends[:, c], pos), blobs)
            continue
        codes, texts = col.dictionary(lo, hi)
        at = np.cumsum([pos, *(len(t) for t in texts)]).astype(np.int64)
        starts[:, c], ends[:, c] = at[:-1][codes], at[1:][codes]
        blobs.extend(texts)
        pos, longest[c] = int(at[-1]), max((len(t) for t in texts), default=0)
    dbuf = np.frombuffer(b"".join(blobs) + bytes(max(longest, default=0) + PAD), np.uint8)
    kinds = {"assembled": PREDS, "hashes": HASHES}
    where = [NUM if c.kind in NUMERIC else kinds.get(c.kind, DICT) for c in plan.columns]
    bufs = [dbuf.copy(), dbuf, dbuf, dbuf]  # the others are set once filled
    return Chunk(lo, starts, ends, bufs, lits, np.array(where, np.int64), longest)


def _joined(
    col: Column, rows: tuple[int, int], cells_at: tuple[np.ndarray, np.ndarray, int], blobs: list
) -> tuple[int, int]:
    """Rows lo..hi of a joined column appended to the blobs at ``pos``; (new pos, longest)."""
    assert col.bounds is not None
    (lo, hi), (starts, ends, pos) = rows, cells_at
    bounds = col.bounds[lo : hi + 1]
    at = bounds - bounds[0] + pos
    starts[:], ends[:] = at[:-1], at[1:]
    blobs.append(col.blob[int(bounds[0]) : int(bounds[-1])])
    return int(at[-1]), int(np.diff(bounds).max(initial=0))


def _numeric(plan: Plan, chunk: Chunk, hi: int) -> None:
    """Number and timestamp cells, written by the compiled loops into one buffer."""
    from glassbox.audit import _numtext as nt

    lo, n = chunk.lo, hi - chunk.lo
    numeric = [(c, col) for c, col in enumerate(plan.columns) if col.kind in NUMERIC]
    nbuf = _padded(sum(col.width for _, col in numeric) * n, 512)
    base = 0
    for c, col in numeric:
        assert col.values is not None
        values = col.values[lo:hi]
        out = (nbuf, chunk.starts[:, c], chunk.ends[:, c], np.zeros(n, np.bool_))
        text: Callable[[Any], str] = str
        if col.kind == "float":
            nt.float_cells(values, out, base, col.width)
            text = _float_text
        elif col.kind == "int":
            nt.int_cells(values, out, base, col.width)
        else:
            assert col.missing is not None
            stamps = (values, col.missing[lo:hi])
            nt.timestamp_cells(stamps, col.kind == "timestamp", out, base, col.width)
            if out[3].any():
                raise Fallback(f"{col.where}: a timestamp outside years 1..9999")
        rows = np.flatnonzero(out[3])
        if rows.size:
            fix = cells.joined(rows, [text(v) for v in values[rows].tolist()])
            if nt.scatter(fix, out, col.width) >= 0:
                raise Fallback(f"{col.where}: a number longer than its cell")
        base += col.width * n
    chunk.bufs[NUM] = nbuf


def _float_text(value: float) -> str:
    return cells.float_text(float(value))


def kernel_plan(template: np.ndarray, chunk: Chunk) -> tuple[Any, ...]:
    """What the compiled loops take: template, words to copy per piece, buffer addresses,
    each column's buffer, cell bounds, literal bounds."""
    from glassbox.audit._kernels import SEQ

    words = []
    for code in template.tolist():
        if code <= SEQ + 1:  # PREV / SEQ: written by the loop itself
            words.append(0)
        elif code < 0:
            lo, hi = chunk.lits[-1 - code]
            words.append(-(-int(hi - lo) // 8))
        else:
            words.append(-(-chunk.longest[code] // 8))
    bases = np.array([b.__array_interface__["data"][0] for b in chunk.bufs], np.int64)
    words_ = np.array(words, np.int64)
    return (template, words_, bases, chunk.where, chunk.starts, chunk.ends, chunk.lits)


def prepare(plan: Plan, lo: int, hi: int) -> Chunk:
    """Text cells of rows lo..hi and their prediction texts."""
    from glassbox.audit import _kernels as k

    n = hi - lo
    starts = np.empty((n, len(plan.columns)), np.int64)
    ends = np.empty((n, len(plan.columns)), np.int64)
    chunk = _dictionaries(plan, lo, hi, starts, ends)
    _numeric(plan, chunk, hi)
    kplan = kernel_plan(plan.prediction, chunk)
    offsets = np.zeros(n + 1, np.int64)
    np.cumsum(k.row_lengths(kplan, 0), out=offsets[1:])
    pbuf = _padded(int(offsets[-1]), 8 * int(kplan[1].sum()) + PAD)
    k.assemble(kplan, offsets, pbuf)
    starts[:, PRED], ends[:, PRED] = offsets[:-1], offsets[1:]
    chunk.bufs[PREDS], chunk.offsets = pbuf, offsets
    chunk.longest[PRED] = int(np.diff(offsets).max(initial=0))
    return chunk
