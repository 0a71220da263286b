"""A chain that grows batch by batch: the segment of an online audit log.

``build_audit`` hashes one scored batch and chains it from its own genesis. An online server
audits many small batches (one per model call) into one long chain per *segment*: each batch's
table, built by ``build_audit``, is re-linked onto the end of the running chain, so seq
continues and every link covers its predecessor across batches. The finished segment is an
ordinary audit table + manifest: ``verify_chain`` checks it exactly like a batch.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from glassbox.audit._build import TABLE_COLUMNS
from glassbox.audit._chain import LinkFields, genesis, link
from glassbox.audit._encoding import event_timestamp_texts
from glassbox.audit._errors import AuditError
from glassbox.audit._hashing import Hasher
from glassbox.audit._manifest import AuditManifest, ModelIdentity


@dataclass(frozen=True)
class ChainRows:
    """The visible fields of appended records, as the audit table and the log store them."""

    seq: np.ndarray
    prediction_id: list[str]
    event_timestamp: list[str]  # canonical ISO UTC text
    prediction: list[str]  # canonical JSON text
    record_hash: list[str]
    chain_hash: list[str]


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
        return ChainRows(seq, ids, stamps, preds, hashes, links)

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


def table_of(rows: ChainRows, model: ModelIdentity, hash_alg: str) -> pd.DataFrame:
    """The audit table (exactly ``TABLE_COLUMNS``) of records read back from a log."""
    parsed = pd.to_datetime(pd.Series(rows.event_timestamp, dtype=object), format="ISO8601")
    return pd.DataFrame(
        {
            "seq": np.asarray(rows.seq, dtype=np.int64),
            "prediction_id": pd.Series(rows.prediction_id, dtype=object),
            "event_timestamp": parsed.dt.tz_convert("UTC").astype("datetime64[us, UTC]"),
            "prediction": pd.Series(rows.prediction, dtype=object),
            "record_hash": pd.Series(rows.record_hash, dtype=object),
            "chain_hash": pd.Series(rows.chain_hash, dtype=object),
            "model_name": model.name,
            "model_version": model.version,
            "model_fingerprint": model.fingerprint,
            "hash_alg": hash_alg,
        },
        columns=list(TABLE_COLUMNS),
    )
