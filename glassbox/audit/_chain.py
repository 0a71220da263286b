"""The hash chain over a batch: genesis from the batch identity, one link per record."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import NamedTuple

from glassbox.audit._encoding import ENCODING_VERSION, quote, utf8
from glassbox.audit._hashing import Hasher
from glassbox.audit._manifest import ModelIdentity

GENESIS_PURPOSE = "glassbox-audit-genesis"


def genesis(batch_id: str, model: ModelIdentity, hasher: Hasher) -> str:
    """H of the canonical JSON of the batch identity: binds batch id and model to the chain."""
    identity = {
        "batch_id": batch_id,
        "model_fingerprint": model.fingerprint,
        "model_name": model.name,
        "model_version": model.version,
        "purpose": GENESIS_PURPOSE,
        "v": ENCODING_VERSION,
    }
    text = json.dumps(identity, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hasher.hex(utf8(text, "batch identity"))


class LinkFields(NamedTuple):
    """What a link covers besides its predecessor and seq: the table row's visible fields."""

    record_hash: str
    prediction_id: str
    event_timestamp: str
    prediction: str  # canonical JSON text, spliced in as is


def link_text(prev: str, seq: int, fields: LinkFields) -> str:
    """``[prev, seq, record_hash, prediction_id, event_timestamp, prediction]`` as compact JSON."""
    return (
        "[" + quote(prev) + "," + str(seq) + "," + quote(fields.record_hash)
        + "," + quote(fields.prediction_id) + "," + quote(fields.event_timestamp)
        + "," + fields.prediction + "]"
    )  # fmt: skip


def link(hasher: Hasher, prev: str, seq: int, fields: LinkFields) -> str:
    return hasher.hex(utf8(link_text(prev, seq, fields), f"seq {seq}"))


def chain(hasher: Hasher, start: str, rows: Iterable[LinkFields], seq0: int = 0) -> list[str]:
    """chain[i] = H(link_text(chain[i-1], seq0 + i, row i)) with chain[-1] = ``start``."""
    out: list[str] = []
    prev = start
    for seq, fields in enumerate(rows, start=seq0):
        prev = link(hasher, prev, seq, fields)
        out.append(prev)
    return out
