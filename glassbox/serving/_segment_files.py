"""Audit segments on the local volume: layout, recovery after a crash, and finalisation.

``<audit dir>/segments/<run id>/<k:06d>/``:

- ``header.json``: batch id, model identity, hash algorithm, genesis (written before any record);
- ``wal.jsonl``: one JSON line per micro-batch (seq of its first record, then per record: id,
  event time, prediction text, record hash, chain hash, caller hash, request id), appended and
  fsynced in groups — a response leaves only after its line is durable;
- ``CLOSED``: no more lines will be appended;
- ``audit_manifest.json`` + ``requests.parquet`` (which request and which caller hash each
  prediction came from): the finished segment, built from the log (its audit table is built
  again from the log when it is logged);
- ``LOGGED``: the segment is on the serving run in MLflow (and may be pruned locally).

A crash can leave a segment open with a torn last line: ``recover`` cuts the log at the last
complete line (that line's records were never acknowledged) and closes it. Nothing is written
twice: a record is in exactly one line of one segment.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec

from glassbox.audit import (
    AuditManifest,
    ChainRows,
    ModelIdentity,
    TextColumn,
    table_of,
    verify_chain,
)
from glassbox.serving._errors import ServingError

HEADER, WAL, CLOSED, LOGGED = "header.json", "wal.jsonl", "CLOSED", "LOGGED"
MANIFEST, REQUESTS = "audit_manifest.json", "requests.parquet"


class WalLine(msgspec.Struct, array_like=True):
    """One micro-batch of records in ``wal.jsonl`` (a compact JSON array per line)."""

    seq: int
    ids: list[str]
    ts: list[str]
    pred: list[str]
    rh: list[str]
    ch: list[str]
    caller: list[str]
    req: list[str]


FEW_ROWS = 64  # a line of fewer records is written from Python strings (cheaper below)
_encode = msgspec.json.Encoder().encode
_decode = msgspec.json.Decoder(WalLine).decode


def encode_line(line: WalLine) -> bytes:
    return _encode(line) + b"\n"


def encode_rows(
    seq: int,
    rows: ChainRows,
    callers: list[str],
    requests: list[str],
    encoded: tuple[bytes, bytes, bytes] | None = None,
) -> list[bytes | memoryview]:
    """The log line of records appended from ``seq`` on, in pieces (for one ``writev``): the
    bytes ``encode_line`` writes for the same ``WalLine``, the chain's texts written as JSON
    straight from their buffers (a batch of a few rows as Python strings, by msgspec).
    ``encoded``: the ids, callers and requests already as ``encode_fields`` writes them."""
    columns = (rows.event_timestamp, rows.prediction, rows.record_hash, rows.chain_hash)
    if len(rows.prediction_id) < FEW_ROWS:
        ts, pred, rh, ch = (column.tolist() for column in columns)
        return [encode_line(WalLine(seq, rows.prediction_id, ts, pred, rh, ch, callers, requests))]
    ids, by, asked = encoded or encode_fields(rows.prediction_id, callers, requests)
    parts: list[list[bytes | memoryview]] = [[ids]]
    parts += [column.json_pieces() for column in columns]
    parts += [[by], [asked]]
    pieces: list[bytes | memoryview] = [b"[" + str(seq).encode("ascii")]
    for part in parts:
        pieces += [b",", *part]
    return [*pieces, b"]\n"]


def encode_fields(
    ids: list[str], callers: list[str], requests: list[str]
) -> tuple[bytes, bytes, bytes]:
    """A log line's id, caller and request arrays as JSON (by msgspec)."""
    return _encode(ids), _encode(callers), _encode(requests)


@dataclass(frozen=True)
class SegmentHeader:
    run_id: str
    index: int
    batch_id: str
    model: ModelIdentity
    hash_alg: str
    genesis: str
    feature_columns: tuple[str, ...]
    created_at: float

    def to_json(self) -> str:
        data = self.__dict__ | {
            "model": self.model.__dict__,
            "feature_columns": list(self.feature_columns),
        }
        return json.dumps(data, sort_keys=True)

    @classmethod
    def read(cls, folder: Path) -> SegmentHeader:
        data = json.loads((folder / HEADER).read_text(encoding="utf-8"))
        data["model"] = ModelIdentity(**data["model"])
        data["feature_columns"] = tuple(data["feature_columns"])
        return cls(**data)


def segment_dir(root: Path, run_id: str, index: int) -> Path:
    return root / "segments" / run_id / f"{index:06d}"


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_durably(path: Path, data: bytes) -> None:
    """Write a small file and make it (and its name) durable before returning."""
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    fsync_dir(path.parent)


def runs_on_disk(root: Path) -> list[tuple[str, list[Path]]]:
    """(run id, its segment folders by index) for every run with segments on the volume."""
    base = root / "segments"
    if not base.is_dir():
        return []
    out = []
    for run in sorted(base.iterdir()):
        if not run.is_dir():
            continue
        folders = sorted(p for p in run.iterdir() if p.is_dir() and p.name.isdigit())
        if folders:
            out.append((run.name, folders))
    return out


def all_segments(root: Path) -> list[Path]:
    return [folder for _, folders in runs_on_disk(root) for folder in folders]


def read_lines(folder: Path) -> tuple[list[WalLine], int, int]:
    """The complete lines of a segment's log, the byte length they span and the file size."""
    path = folder / WAL
    data = path.read_bytes() if path.exists() else b""
    lines: list[WalLine] = []
    good = 0
    expected_seq = 0
    while good < len(data):
        end = data.find(b"\n", good)
        if end < 0:
            break
        try:
            line = _decode(data[good:end])
        except msgspec.DecodeError:
            break
        if line.seq != expected_seq:
            break
        lines.append(line)
        expected_seq += len(line.ids)
        good = end + 1
    return lines, good, len(data)


def recover(folder: Path) -> bool:
    """Close a segment a crash left open: cut a torn tail, mark it closed. False when it held
    no complete record (the folder is removed)."""
    if (folder / CLOSED).exists():
        return True
    if not (folder / HEADER).exists():
        _remove(folder)
        return False
    lines, good, size = read_lines(folder)
    if good < size:
        with open(folder / WAL, "r+b") as handle:
            handle.truncate(good)
            handle.flush()
            os.fsync(handle.fileno())
    if not lines:
        _remove(folder)
        return False
    write_durably(folder / CLOSED, b"recovered\n" if good < size else b"recovered-clean\n")
    return True


def _remove(folder: Path) -> None:
    for child in folder.iterdir():
        child.unlink()
    folder.rmdir()


def rows_of(lines: list[WalLine]) -> ChainRows:
    import numpy as np

    def cat(name: str) -> list[str]:
        return [v for line in lines for v in getattr(line, name)]

    ids = cat("ids")
    texts = (TextColumn.of(cat(name)) for name in ("ts", "pred", "rh", "ch"))
    return ChainRows(np.arange(len(ids), dtype=np.int64), ids, *texts)


def finalize(folder: Path, key: bytes | None) -> tuple[Any, AuditManifest, list[str]]:
    """The closed segment's audit table (in memory: it is written once, where it is logged),
    its manifest and request map (written beside the log), and the problems ``verify_chain``
    found in a segment recovered after a crash (a segment this process closed holds exactly
    what its chain linked: it is not hashed again)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    header = SegmentHeader.read(folder)
    lines, _, _ = read_lines(folder)
    rows = rows_of(lines)
    if not rows.prediction_id:
        raise ServingError(f"segment {folder}: closed with no record")
    table = table_of(rows, header.model, header.hash_alg)
    manifest = AuditManifest(
        batch_id=header.batch_id,
        count=len(rows.prediction_id),
        genesis=header.genesis,
        root=rows.chain_hash[-1],
        hash_alg=header.hash_alg,
        model=header.model,
        feature_columns=header.feature_columns,
    )
    recovered = (folder / CLOSED).read_bytes().startswith(b"recovered")
    problems = verify_chain(table, manifest, key=key).problems if recovered else ()
    requests = pa.table(
        {
            "seq": pa.array(rows.seq, type=pa.int64()),
            "prediction_id": pa.array(rows.prediction_id, type=pa.string()),
            "request_id": pa.array([v for line in lines for v in line.req], type=pa.string()),
            "caller_hash": pa.array([v for line in lines for v in line.caller], type=pa.string()),
        }
    )
    pq.write_table(requests, folder / REQUESTS)
    write_durably(folder / MANIFEST, manifest.to_json().encode("utf-8"))
    return table, manifest, [p.message for p in problems]


def ensure_dir(path: Path) -> Path:
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ServingError(f"audit directory {path}: cannot create it ({exc.strerror})") from None
    return path
