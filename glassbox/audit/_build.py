"""Build the audit table and manifest for one scored batch."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from glassbox.audit._chain import LinkFields, chain, genesis
from glassbox.audit._encoding import (
    encode_column,
    encode_value,
    event_timestamp_texts,
    prediction_id_texts,
    record_text,
    rows_of_mappings,
    utf8,
)
from glassbox.audit._errors import AuditError
from glassbox.audit._hashing import Hasher
from glassbox.audit._manifest import AuditManifest, ModelIdentity

TABLE_COLUMNS = (
    "seq",
    "prediction_id",
    "event_timestamp",
    "prediction",
    "record_hash",
    "chain_hash",
    "model_name",
    "model_version",
    "model_fingerprint",
    "hash_alg",
)


class AuditBatch(NamedTuple):
    """The audit table (no feature values) and the manifest that anchors it."""

    table: pd.DataFrame
    manifest: AuditManifest


def prediction_texts(predictions: Any, count: int) -> list[str]:
    """Canonical texts of the model outputs, one per row.

    A Series/1-D array holds one value per row; a DataFrame gives a mapping {column: value}
    per row (e.g. probability and label); a 2-D array gives a list per row.
    """
    if isinstance(predictions, pd.DataFrame):
        texts = rows_of_mappings(predictions, list(predictions.columns), "predictions")
    elif isinstance(predictions, pd.Series):
        texts = encode_column(predictions, "predictions")
    elif isinstance(predictions, np.ndarray | list | tuple):
        items = predictions.tolist() if isinstance(predictions, np.ndarray) else predictions
        texts = [encode_value(v, f"predictions[{i}]") for i, v in enumerate(items)]
    else:
        raise AuditError(
            f"predictions: expected a pandas Series/DataFrame, numpy array or list, "
            f"got {type(predictions).__name__}"
        )
    if len(texts) != count:
        raise AuditError(f"predictions: {len(texts)} values for a batch of {count} rows")
    return texts


def _check_frame(batch: Any, columns: Sequence[str], feature_columns: Sequence[str]) -> None:
    if not isinstance(batch, pd.DataFrame):
        raise AuditError(f"batch: expected a pandas DataFrame, got {type(batch).__name__}")
    missing = [c for c in columns if c not in batch.columns]
    if missing:
        raise AuditError(f"batch: column(s) {missing} not found; it has {list(batch.columns)}")
    if isinstance(feature_columns, str) or not feature_columns:
        raise AuditError("feature_columns: expected a non-empty list of column names")


def _check_unique(ids: list[str], column: str) -> None:
    if len(set(ids)) != len(ids):
        dups = sorted(pid for pid, n in Counter(ids).items() if n > 1)
        raise AuditError(f"id column '{column}': prediction ids are not unique: {dups[:5]}")


def _timestamp_column(stamps: list[str], column: str) -> pd.Series:
    try:
        parsed = pd.to_datetime(pd.Series(stamps, dtype=object), format="ISO8601", utc=True)
    except (ValueError, OverflowError) as exc:
        raise AuditError(f"event timestamp column '{column}': out of range ({exc})") from None
    return parsed.astype("datetime64[us, UTC]")


SMALL_TABLE = 512  # rows up to which text columns hold Python strings


def _string_column(values: Any) -> Any:
    """A text column: Python strings (object dtype) for a small batch, where pandas' set-up
    would dominate; Arrow-backed strings above, with no Python object per cell."""
    import pyarrow as pa

    arrow = isinstance(values, pa.ChunkedArray | pa.Array)
    if len(values) <= SMALL_TABLE:
        return np.array(values.to_pylist() if arrow else list(values), dtype=object)
    if arrow:
        return pd.arrays.ArrowStringArray(values.cast(pa.large_string()))
    return pd.array(list(values), dtype=STRING_DTYPE)


STRING_DTYPE = pd.StringDtype("pyarrow")


_BLOCK = 65_536


def _constant(value: str, n: int) -> Any:
    """A column holding one string (large: one block of it, referenced as often as needed)."""
    import pyarrow as pa

    if n <= SMALL_TABLE:
        return np.full(n, value, dtype=object)
    block = pa.array([value], pa.large_string()).take(np.zeros(min(n, _BLOCK), np.int64))
    chunks = [block] * (n // _BLOCK) + ([block.slice(0, n % _BLOCK)] if n % _BLOCK else [])
    return _string_column(pa.chunked_array(chunks, pa.large_string()))


def _table(columns: dict[str, Any], model: ModelIdentity, alg: str, seq0: int = 0) -> pd.DataFrame:
    """The audit table from its per-row columns (prediction_id, event_timestamp, prediction,
    record_hash, chain_hash) and the batch's model identity and hash algorithm."""
    n = len(columns["prediction_id"])
    constants = {
        "model_name": model.name,
        "model_version": model.version,
        "model_fingerprint": model.fingerprint,
        "hash_alg": alg,
    }
    given = (
        {"seq": np.arange(seq0, seq0 + n, dtype=np.int64)}
        | columns
        | {name: _constant(value, n) for name, value in constants.items()}
    )
    # in order and without copies: pandas' column reindexing costs more than the rest
    return pd.DataFrame({name: given[name] for name in TABLE_COLUMNS}, copy=False)


class _Args(NamedTuple):
    batch: pd.DataFrame
    predictions: Any
    feature_columns: list[str]
    id_column: str
    timestamp_column: str
    model: ModelIdentity
    hasher: Hasher
    start: str
    seq0: int = 0  # the seq of the first row (a stream continues its chain)


def reference_table(a: _Args) -> tuple[pd.DataFrame, str]:
    """The reference engine: the documented encoding, one Python call per value."""
    ids = prediction_id_texts(a.batch[a.id_column], a.id_column)
    _check_unique(ids, a.id_column)
    stamps = event_timestamp_texts(a.batch[a.timestamp_column], a.timestamp_column, ids)
    features = rows_of_mappings(a.batch, a.feature_columns, "features")
    preds = prediction_texts(a.predictions, len(a.batch))
    fp = a.model.fingerprint
    records = [
        utf8(record_text(ts, feats, fp, pred, pid), f"prediction id {pid!r}")
        for ts, feats, pred, pid in zip(stamps, features, preds, ids, strict=True)
    ]
    record_hashes = a.hasher.hex_many(records)
    links = chain(
        a.hasher, a.start, map(LinkFields, record_hashes, ids, stamps, preds), seq0=a.seq0
    )
    columns = {
        "prediction_id": _string_column(ids),
        "event_timestamp": _timestamp_column(stamps, a.timestamp_column).array,
        "prediction": _string_column(preds),
        "record_hash": _string_column(record_hashes),
        "chain_hash": _string_column(links),
    }
    return _table(columns, a.model, a.hasher.alg, a.seq0), links[-1] if links else a.start


def native_table(a: _Args) -> tuple[pd.DataFrame, str]:
    """The native engine (compiled loops): the same bytes; raises Fallback when it declines."""
    from glassbox.audit import _native, _parallel

    plan = _native.plan(
        a.batch,
        a.predictions,
        feature_columns=a.feature_columns,
        id_column=a.id_column,
        timestamp_column=a.timestamp_column,
        fingerprint=a.model.fingerprint,
    )
    out = _parallel.run(plan, _parallel.Engine(a.hasher._key), a.start, a.seq0)
    stamps = out["event_timestamp"]
    if isinstance(stamps, list):
        stamps = _timestamp_column(stamps, a.timestamp_column).array
    columns = {"event_timestamp": stamps} | {
        name: _string_column(out[name])
        for name in ("prediction_id", "prediction", "record_hash", "chain_hash")
    }
    return _table(columns, a.model, a.hasher.alg, a.seq0), str(out["root"])


def build_audit(
    batch: pd.DataFrame,
    predictions: Any,
    *,
    feature_columns: Sequence[str],
    id_column: str,
    timestamp_column: str,
    model: ModelIdentity,
    batch_id: str,
    key: bytes | str | None = None,
) -> AuditBatch:
    """Hash every prediction of a scored batch and chain the hashes.

    ``predictions`` are aligned with ``batch`` by position. With ``key`` the hashes are
    HMAC-SHA256 (the key is never stored), otherwise SHA-256. Large batches (and every batch
    once :func:`glassbox.audit.warm_up` ran) go through the native engine, which writes the
    same bytes as the reference one (see glassbox.audit._engine).
    """
    from glassbox.audit import _engine
    from glassbox.audit._cells import Fallback

    _check_frame(batch, [id_column, timestamp_column, *feature_columns], feature_columns)
    if not isinstance(model, ModelIdentity):
        raise AuditError(f"model: expected a ModelIdentity, got {type(model).__name__}")
    if not isinstance(batch_id, str) or not batch_id:
        raise AuditError("batch_id: expected a non-empty string")
    hasher = Hasher(key)
    start = genesis(batch_id, model, hasher)
    args = _Args(
        batch, predictions, list(feature_columns), id_column, timestamp_column, model, hasher, start
    )
    built = None
    if _engine.use_native(len(batch)):
        try:
            built = native_table(args)
        except Fallback:
            built = None
    table, root = built or reference_table(args)
    manifest = AuditManifest(
        batch_id=batch_id,
        count=len(batch),
        genesis=start,
        root=root,
        hash_alg=hasher.alg,
        model=model,
        feature_columns=tuple(feature_columns),
    )
    return AuditBatch(table, manifest)
