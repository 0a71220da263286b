"""(De)serialisation of ``ShardProfile``: JSON metadata + npz arrays, sketches as raw bytes."""

from __future__ import annotations

from typing import Any

import numpy as np

from glassbox.drift import _serial
from glassbox.drift._errors import DriftError
from glassbox.drift._shard import (
    FORMAT,
    CategoricalShard,
    ColumnShard,
    NumericShard,
    ShardProfile,
)


def dump(profile: ShardProfile) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    columns: list[dict[str, Any]] = []
    arrays: dict[str, np.ndarray] = {}
    for i, col in enumerate(profile.columns):
        arrays[f"c{i}_counts"] = col.counts
        entry: dict[str, Any] = {"name": col.name, "missing": col.missing}
        if isinstance(col, CategoricalShard):
            entry |= {"dtype": "categorical", "unseen": col.unseen}
        else:
            entry |= {"dtype": "numeric", "n": col.n, "mean": col.mean, "m2": col.m2}
            if col.calibration is not None:
                arrays[f"c{i}_calibration"] = col.calibration
            if col.sketch is not None:
                entry["mode"] = "sketch"
                arrays[f"c{i}_sketch"] = np.frombuffer(col.sketch.serialize(), dtype=np.uint8)
            else:
                entry["mode"] = "exact"
                arrays[f"c{i}_exact"] = col.exact if col.exact is not None else np.empty(0)
        columns.append(entry)
    meta = {
        "format": FORMAT,
        "version": 1,
        "reference_fingerprint": profile.reference_fingerprint,
        "n_rows": profile.n_rows,
        "kll_k": profile.kll_k,
        "exact_threshold": profile.exact_threshold,
        "columns": columns,
    }
    return meta, arrays


def build(meta: dict[str, Any], arrays: dict[str, np.ndarray], what: str) -> ShardProfile:
    try:
        columns = tuple(_column(entry, i, arrays, what) for i, entry in enumerate(meta["columns"]))
        return ShardProfile(
            columns,
            reference_fingerprint=str(meta["reference_fingerprint"]),
            n_rows=int(meta["n_rows"]),
            kll_k=int(meta["kll_k"]),
            exact_threshold=int(meta["exact_threshold"]),
        )
    except (KeyError, TypeError, ValueError, RuntimeError) as exc:
        raise DriftError(f"shard profile {what}: malformed content ({exc!r})") from None


def _column(entry: dict[str, Any], i: int, arrays: dict[str, np.ndarray], what: str) -> ColumnShard:
    name = str(entry["name"])
    counts = _serial.array(arrays, f"c{i}_counts", what).astype(np.int64)
    missing = int(entry["missing"])
    if entry["dtype"] == "categorical":
        return CategoricalShard(name, counts, unseen=int(entry["unseen"]), missing=missing)
    if entry["dtype"] != "numeric":
        raise ValueError(f"column {name!r}: dtype {entry['dtype']!r}")
    n, mean, m2 = int(entry["n"]), float(entry["mean"]), float(entry["m2"])
    calibration = None
    if f"c{i}_calibration" in arrays:
        calibration = _serial.array(arrays, f"c{i}_calibration", what).astype(np.int64)
    if entry["mode"] == "sketch":
        from datasketches import kll_doubles_sketch

        raw = _serial.array(arrays, f"c{i}_sketch", what).tobytes()
        sketch = kll_doubles_sketch.deserialize(raw)
        if sketch.n != n:
            raise ValueError(f"column {name!r}: sketch holds {sketch.n} values, metadata says {n}")
        return NumericShard(
            name, n, missing, counts, mean, m2, sketch=sketch, calibration=calibration
        )
    exact = _serial.array(arrays, f"c{i}_exact", what).astype(np.float64, copy=False)
    if exact.size != n:
        raise ValueError(f"column {name!r}: {exact.size} exact values, metadata says {n}")
    return NumericShard(name, n, missing, counts, mean, m2, exact=exact, calibration=calibration)
