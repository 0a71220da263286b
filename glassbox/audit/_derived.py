"""Prediction ids for data that has no id column, and finding a row recorded under one.

A derived id is ``r`` + the first 20 hex digits of SHA-256 (HMAC-SHA256 with the audit key)
over ``glassbox-row-id-v1\\n`` + the canonical text of the row's features (the ``features``
object of the audit encoding, docs/audit.md §1). The k-th repeat (k ≥ 2) of identical features
in one batch, in row order, gets ``-k`` appended. The same features therefore get the same id
in the production batch, in the delayed targets file and in a row typed on the command line.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from glassbox.audit._encoding import mapping_text, rows_of_mappings, timestamp_iso, utf8
from glassbox.audit._hashing import Hasher
from glassbox.audit._lookup import Match, Tables, _sources, find_record

DERIVED_ID_DOMAIN = b"glassbox-row-id-v1\n"
DERIVED_ID_HEX = 20


def _ids(texts: Sequence[str], key: bytes | str | None) -> list[str]:
    hasher = Hasher(key)
    digests = hasher.hex_many([DERIVED_ID_DOMAIN + utf8(t, "derived id") for t in texts])
    seen: dict[str, int] = {}
    out = []
    for digest in digests:
        base = "r" + digest[:DERIVED_ID_HEX]
        seen[base] = seen.get(base, 0) + 1
        out.append(base if seen[base] == 1 else f"{base}-{seen[base]}")
    return out


def derive_prediction_ids(
    frame: pd.DataFrame, feature_columns: Sequence[str], key: bytes | str | None = None
) -> list[str]:
    """One deterministic id per row of ``frame`` from its feature values (see module doc)."""
    return _ids(rows_of_mappings(frame, list(feature_columns), "derived ids"), key)


def derived_id(features_row: Mapping[str, Any], key: bytes | str | None = None) -> str:
    """The id the first occurrence of these features gets (a single row's derived id)."""
    return _ids([mapping_text(features_row, "features_row")], key)[0]


def _recorded(tables: Tables, base: str | None, pid: str | None) -> pd.DataFrame:
    """(prediction_id, event_timestamp) pairs recorded for an id, or for a derived id and its
    repeats (``base``, ``base-2``, ...)."""
    found = []
    for _, table in _sources(tables):
        ids = table["prediction_id"].astype(str)
        hit = (ids == pid) if pid is not None else (ids == base) | ids.str.startswith(f"{base}-")
        if hit.any() and "event_timestamp" in table.columns:
            found.append(table.loc[hit, ["prediction_id", "event_timestamp"]])
    if not found:
        return pd.DataFrame(columns=["prediction_id", "event_timestamp"])
    return pd.concat(found, ignore_index=True).astype({"prediction_id": str})


def find_row(
    features_row: Mapping[str, Any],
    tables: Tables,
    *,
    key: bytes | str | None = None,
    prediction_id: Any = None,
    event_timestamp: Any = None,
) -> Match:
    """:func:`find_record` for a row that may lack its id and/or its event timestamp.

    Without ``prediction_id`` the id is derived from the features (and its repeats are tried);
    without ``event_timestamp`` each recorded timestamp of a candidate id is tried, so the
    features, model and prediction are still checked against the record's hash."""
    base = None if prediction_id is not None else derived_id(features_row, key)
    pid = None if prediction_id is None else str(prediction_id)
    if event_timestamp is not None and pid is not None:
        return find_record(features_row, prediction_id, event_timestamp, tables, key)
    recorded = _recorded(tables, base, pid)
    if event_timestamp is not None:
        recorded = recorded.assign(event_timestamp=event_timestamp)
    best: Match | None = None
    for cand_id, stamp in recorded.drop_duplicates().itertuples(index=False):
        match = find_record(
            features_row, cand_id, timestamp_iso(stamp, "event_timestamp"), tables, key
        )
        if match.recorded:
            return match
        best = best or match
    return best or Match("not_found", pid or str(base))
