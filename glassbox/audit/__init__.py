"""Prediction audit: a SHA-256 (or HMAC-SHA256) hash per prediction, chained per batch.

``build_audit`` turns a scored batch into an audit table (no feature values) and a manifest;
``verify_chain`` rechecks a table against its manifest; ``find_record`` and
``verify_scored_file`` answer "was this prediction made on these inputs, and by which model?";
``log_audit`` / ``load_audit_tables`` keep audits on the score step's MLflow run;
``derive_prediction_ids`` gives rows without an id column deterministic ids and ``find_row``
looks such a row up. An online server grows a ``RunningChain`` batch by batch and logs it
segment by segment (``log_segment`` / ``load_segment_tables``); each segment verifies like a
batch.
The canonical encoding is specified in docs/audit.md. Two engines write it: the reference one
(one Python call per value) and a native one (compiled loops, same bytes) that large batches
use, and every batch after ``warm_up()`` (servers call it at start).
"""

from glassbox.audit._build import TABLE_COLUMNS, AuditBatch, build_audit, prediction_texts
from glassbox.audit._derived import derive_prediction_ids, derived_id, find_row
from glassbox.audit._encoding import ENCODING_VERSION, canonical_record, encode_value
from glassbox.audit._engine import ENGINE_ENV, EngineInfo, warm_up
from glassbox.audit._engine import info as engine_info
from glassbox.audit._errors import AuditError
from glassbox.audit._hashing import HMAC_SHA256, KEY_ENV, SHA256, Hasher, key_from_env
from glassbox.audit._lookup import (
    Location,
    Match,
    ScoredFileReport,
    decode_prediction,
    find_record,
    verify_scored_file,
)
from glassbox.audit._manifest import AuditManifest, ModelIdentity
from glassbox.audit._running import ChainRows, RunningChain, table_of
from glassbox.audit._segments import (
    SEGMENTS_DIR,
    has_segments,
    load_segment_tables,
    log_segment,
    logged_segments,
    segment_batch_id,
)
from glassbox.audit._store import load_audit_tables, log_audit
from glassbox.audit._texts import TextColumn
from glassbox.audit._verify import ChainProblem, ChainReport, verify_chain

__all__ = [
    "ENCODING_VERSION",
    "ENGINE_ENV",
    "HMAC_SHA256",
    "KEY_ENV",
    "SEGMENTS_DIR",
    "SHA256",
    "TABLE_COLUMNS",
    "AuditBatch",
    "AuditError",
    "AuditManifest",
    "ChainProblem",
    "ChainReport",
    "ChainRows",
    "EngineInfo",
    "Hasher",
    "Location",
    "Match",
    "ModelIdentity",
    "RunningChain",
    "ScoredFileReport",
    "TextColumn",
    "build_audit",
    "canonical_record",
    "decode_prediction",
    "derive_prediction_ids",
    "derived_id",
    "encode_value",
    "engine_info",
    "find_record",
    "find_row",
    "has_segments",
    "key_from_env",
    "load_audit_tables",
    "load_segment_tables",
    "log_audit",
    "log_segment",
    "logged_segments",
    "prediction_texts",
    "segment_batch_id",
    "table_of",
    "verify_chain",
    "verify_scored_file",
    "warm_up",
]
