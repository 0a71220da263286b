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
    HMAC-SHA256 (the key is never stored), otherwise SHA-256.
    """
    _check_frame(batch, [id_column, timestamp_column, *feature_columns], feature_columns)
    if not isinstance(model, ModelIdentity):
        raise AuditError(f"model: expected a ModelIdentity, got {type(model).__name__}")
    if not isinstance(batch_id, str) or not batch_id:
        raise AuditError("batch_id: expected a non-empty string")
    hasher = Hasher(key)
    ids = prediction_id_texts(batch[id_column], id_column)
    _check_unique(ids, id_column)
    stamps = event_timestamp_texts(batch[timestamp_column], timestamp_column, ids)
    features = rows_of_mappings(batch, list(feature_columns), "features")
    preds = prediction_texts(predictions, len(batch))
    records = [
        utf8(record_text(ts, feats, model.fingerprint, pred, pid), f"prediction id {pid!r}")
        for ts, feats, pred, pid in zip(stamps, features, preds, ids, strict=True)
    ]
    record_hashes = hasher.hex_many(records)
    start = genesis(batch_id, model, hasher)
    rows = map(LinkFields, record_hashes, ids, stamps, preds)
    links = chain(hasher, start, rows)
    n = len(batch)
    table = pd.DataFrame(
        {
            "seq": np.arange(n, dtype=np.int64),
            "prediction_id": pd.Series(ids, dtype=object),
            "event_timestamp": _timestamp_column(stamps, timestamp_column),
            "prediction": pd.Series(preds, dtype=object),
            "record_hash": pd.Series(record_hashes, dtype=object),
            "chain_hash": pd.Series(links, dtype=object),
            "model_name": model.name,
            "model_version": model.version,
            "model_fingerprint": model.fingerprint,
            "hash_alg": hasher.alg,
        },
        columns=list(TABLE_COLUMNS),
    )
    manifest = AuditManifest(
        batch_id=batch_id,
        count=n,
        genesis=start,
        root=links[-1] if links else start,
        hash_alg=hasher.alg,
        model=model,
        feature_columns=tuple(feature_columns),
    )
    return AuditBatch(table, manifest)
