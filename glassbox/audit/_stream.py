"""``Auditor``: hash and chain predictions batch after batch (an online server's
micro-batches) as one chain, so the rows of every batch, concatenated, verify as one audit
table against :meth:`Auditor.manifest`."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import pandas as pd

from glassbox.audit._build import _Args, _check_frame, native_table, reference_table
from glassbox.audit._chain import genesis
from glassbox.audit._errors import AuditError
from glassbox.audit._hashing import Hasher
from glassbox.audit._manifest import AuditManifest, ModelIdentity


class Auditor:
    """One chain over many batches. ``add`` returns each batch's audit rows (the columns of
    ``build_audit``'s table, seq continuing); ``manifest()`` anchors everything added so far.
    Thread-safe: batches are chained in the order ``add`` is entered."""

    def __init__(
        self,
        *,
        feature_columns: Sequence[str],
        id_column: str,
        timestamp_column: str,
        model: ModelIdentity,
        batch_id: str,
        key: bytes | str | None = None,
    ) -> None:
        if isinstance(feature_columns, str) or not feature_columns:
            raise AuditError("feature_columns: expected a non-empty list of column names")
        if not isinstance(model, ModelIdentity):
            raise AuditError(f"model: expected a ModelIdentity, got {type(model).__name__}")
        if not isinstance(batch_id, str) or not batch_id:
            raise AuditError("batch_id: expected a non-empty string")
        self._features = list(feature_columns)
        self._id, self._timestamp = id_column, timestamp_column
        self._model, self._batch_id = model, batch_id
        self._hasher = Hasher(key)
        self._genesis = genesis(batch_id, model, self._hasher)
        self._root, self._count = self._genesis, 0
        self._lock = threading.Lock()

    @property
    def count(self) -> int:
        return self._count

    @property
    def root(self) -> str:
        return self._root

    def add(self, batch: pd.DataFrame, predictions: Any) -> pd.DataFrame:
        """Hash and chain one batch; its audit rows (never a feature value)."""
        from glassbox.audit import _engine
        from glassbox.audit._cells import Fallback

        _check_frame(batch, [self._id, self._timestamp, *self._features], self._features)
        with self._lock:
            args = _Args(
                batch, predictions, self._features, self._id, self._timestamp, self._model,
                self._hasher, self._root, self._count,
            )  # fmt: skip
            built = None
            if _engine.use_native(len(batch)):
                try:
                    built = native_table(args)
                except Fallback:
                    built = None
            table, self._root = built or reference_table(args)
            self._count += len(table)
        return table

    def manifest(self) -> AuditManifest:
        """The manifest of every row added so far (count, genesis, root)."""
        with self._lock:
            return AuditManifest(
                batch_id=self._batch_id,
                count=self._count,
                genesis=self._genesis,
                root=self._root,
                hash_alg=self._hasher.alg,
                model=self._model,
                feature_columns=tuple(self._features),
            )
