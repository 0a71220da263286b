"""The write-ahead log line of a micro-batch: written from the chain's buffers, it is byte for
byte the line ``encode_line`` writes for the same records as Python strings (the format every
existing segment holds), and reads back to the same records."""

from __future__ import annotations

import numpy as np
import pytest

from glassbox.audit import ENGINE_ENV, ModelIdentity, RunningChain, _running
from glassbox.serving._segment_files import (
    WalLine,
    _decode,
    encode_fields,
    encode_line,
    encode_rows,
    rows_of,
)

MODEL = ModelIdentity("car-loan-default", "1", "ab" * 32)


def micro_batch(n: int) -> tuple[dict[str, np.ndarray], list[str], np.ndarray, dict]:
    rng = np.random.default_rng(n)
    proba = rng.uniform(0, 1, n)
    features = {
        "car_value": rng.uniform(1e3, 9e4, n),
        "band": rng.choice(np.array(['a "q"', "b\\c", "é\n€"], dtype=object), n),
    }
    ids = [f"id-{i}" if i % 3 else f'id "{i}" é\t' for i in range(n)]
    stamps = np.datetime64("2025-01-02T03:04:05.678901", "us") + (np.arange(n) // 5).astype(
        "timedelta64[s]"
    )
    outputs = {"y_pred": (proba > 0.5).astype(np.int64), "y_pred_proba": proba}
    return features, ids, stamps, outputs


@pytest.mark.parametrize("rows", [5, 70])  # a few rows (Python strings), several chunks
@pytest.mark.parametrize("engine", ["native", "python"])
@pytest.mark.parametrize("key", [None, b"serving-key"])
@pytest.mark.parametrize("meanwhile", [False, True])  # ids, callers, requests encoded early
def test_a_log_line_is_the_bytes_encode_line_writes(
    rows: int, engine: str, key: bytes | None, meanwhile: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENGINE_ENV, engine)
    monkeypatch.setattr(_running, "CHUNK_ROWS", 16)  # several chunks: the worker threads
    chain = RunningChain("run/segment-000001", MODEL, key)
    chain.extend(*micro_batch(3))
    callers = [f'caller "{i % 4}"\x01' for i in range(rows)]
    requests = [f"req-{i // 5}-ü" for i in range(rows)]

    def fields(texts: list[str]) -> tuple[bytes, bytes, bytes]:
        return encode_fields(texts, callers, requests)

    got = chain.extend(*micro_batch(rows), meanwhile=fields if meanwhile else None)
    assert (got.meanwhile is not None) == meanwhile
    line = b"".join(encode_rows(3, got, callers, requests, got.meanwhile))
    texts = [
        got.prediction_id,
        *(col.tolist() for col in (got.event_timestamp, got.prediction)),
        *(col.tolist() for col in (got.record_hash, got.chain_hash)),
    ]
    assert line == encode_line(WalLine(3, *texts, callers, requests))
    back = _decode(line[:-1])
    assert rows_of([back]).chain_hash.tolist() == got.chain_hash.tolist()
    assert back.pred == got.prediction.tolist() and back.caller == callers


def test_an_empty_batch_writes_an_empty_line() -> None:
    chain = RunningChain("seg", MODEL)
    features, _, _, outputs = micro_batch(0)
    rows = chain.extend(features, [], np.array([], "datetime64[us]"), outputs)
    line = b"".join(encode_rows(0, rows, [], []))
    assert line == encode_line(WalLine(0, [], [], [], [], [], [], []))
