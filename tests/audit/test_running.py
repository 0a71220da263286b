"""RunningChain: a segment's chain grown batch by batch hashes exactly like build_audit and
verifies like a batch, with either engine (every test runs with both)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from glassbox.audit import (
    ENGINE_ENV,
    AuditError,
    ChainRows,
    ModelIdentity,
    RunningChain,
    TextColumn,
    _parallel,
    _running,
    build_audit,
    table_of,
    verify_chain,
)

from .helpers import MODEL

FEATURES = ["car_value", "loan_length", "salary_range"]


@pytest.fixture(autouse=True, params=["native", "python"])
def engine(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """extend hashes with this engine (build_audit, the reference, with the same)."""
    monkeypatch.setenv(ENGINE_ENV, request.param)
    return str(request.param)


def columns(n: int, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {
        "car_value": rng.uniform(1e3, 9e4, n).round(2),
        "loan_length": rng.integers(6, 40, n).astype(np.float64),
        "salary_range": rng.choice(np.array(["0 - 20K €", 'a "quoted" one', "x"], dtype=object), n),
    }


def stamps(n: int) -> np.ndarray:
    start = np.datetime64("2024-05-01T10:00:00.123456", "us")
    return start + np.arange(n).astype("timedelta64[s]")


def outputs(n: int, seed: int = 1) -> dict[str, np.ndarray]:
    proba = np.random.default_rng(seed).uniform(0, 1, n)
    return {"y_pred": (proba >= 0.5).astype(np.int64), "y_pred_proba": proba}


def reference_hashes(
    cols: dict[str, np.ndarray],
    ids: list[str],
    ts: np.ndarray,
    preds: dict[str, np.ndarray],
    key: bytes | None = None,
) -> list[str]:
    """build_audit's record hashes, from the reference engine."""
    batch = pd.DataFrame(cols).assign(pid=ids, ts=pd.to_datetime(ts, utc=True))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(ENGINE_ENV, "python")
        table = build_audit(
            batch,
            pd.DataFrame(preds),
            feature_columns=list(cols),
            id_column="pid",
            timestamp_column="ts",
            model=MODEL,
            batch_id="b",
            key=key,
        ).table
    return list(table["record_hash"])


def concat(parts: list[ChainRows]) -> ChainRows:
    return ChainRows(
        np.concatenate([p.seq for p in parts]),
        [value for p in parts for value in p.prediction_id],
        *(
            TextColumn.of([value for p in parts for value in getattr(p, f)])
            for f in ("event_timestamp", "prediction", "record_hash", "chain_hash")
        ),
    )


@pytest.mark.parametrize("key", [None, b"serving-key"])
def test_extend_hashes_every_record_exactly_as_build_audit(key: bytes | None) -> None:
    cols, ids = columns(25), [f"p{i}" for i in range(25)]
    chain = RunningChain("run/segment-000001", MODEL, key)
    rows = chain.extend(cols, ids, stamps(25), outputs(25))
    assert rows.record_hash.tolist() == reference_hashes(cols, ids, stamps(25), outputs(25), key)
    assert rows.seq.tolist() == list(range(25))


def test_extend_takes_the_chosen_engine(engine: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """With GLASSBOX_AUDIT_ENGINE=native the compiled loops hash (what glassbox serve uses
    after warm_up); with python they are never called."""
    calls = []
    real = _parallel.chained
    monkeypatch.setattr(_parallel, "chained", lambda *a, **k: calls.append(1) or real(*a, **k))
    chain = RunningChain("seg", MODEL)
    chain.extend(columns(3), ["a", "b", "c"], stamps(3), outputs(3))
    chain.extend(columns(2), ["d", "e"], stamps(2), outputs(2))
    assert len(calls) == (2 if engine == "native" else 0)


def test_a_batch_of_many_chunks_links_like_one(monkeypatch: pytest.MonkeyPatch) -> None:
    """Chunks hashed in the worker threads and chained in order (8-row chunks here)."""
    monkeypatch.setattr(_running, "CHUNK_ROWS", 8)
    cols, ids, preds = columns(45), [f"q{i}" for i in range(45)], outputs(45)
    chain = RunningChain("seg", MODEL)
    chain.extend(columns(3), ["a", "b", "c"], stamps(3), outputs(3))
    rows = chain.extend(cols, ids, stamps(45), preds)
    assert rows.record_hash.tolist() == reference_hashes(cols, ids, stamps(45), preds)
    table = table_of(rows, MODEL, chain.hash_alg)
    first = RunningChain("seg", MODEL)
    first.extend(columns(3), ["a", "b", "c"], stamps(3), outputs(3))
    assert first.append(table).chain_hash.tolist() == rows.chain_hash.tolist()


def test_batches_extend_one_chain_that_verifies_like_a_batch() -> None:
    chain = RunningChain("run/segment-000001", MODEL)
    parts = [
        chain.extend(columns(n, seed), [f"b{seed}-{i}" for i in range(n)], stamps(n), outputs(n))
        for seed, n in enumerate([1, 7, 1, 30])
    ]
    rows = concat(parts)
    assert rows.seq.tolist() == list(range(39))
    table = table_of(rows, MODEL, chain.hash_alg)
    report = verify_chain(table, chain.manifest(tuple(FEATURES)))
    assert report.ok, report.summary()


def test_a_link_edited_across_batches_is_located() -> None:
    chain = RunningChain("run/segment-000001", MODEL)
    rows = concat(
        [
            chain.extend(columns(5, s), [f"{s}-{i}" for i in range(5)], stamps(5), outputs(5))
            for s in range(3)
        ]
    )
    table = table_of(rows, MODEL, chain.hash_alg)
    table.loc[7, "prediction"] = '{"y_pred":1,"y_pred_proba":0.99}'
    report = verify_chain(table, chain.manifest(tuple(FEATURES)))
    assert not report.ok
    assert report.first is not None and report.first.seq == 7


def test_append_relinks_a_build_audit_table_onto_the_chain() -> None:
    cols, ids = columns(4), ["a", "b", "c", "d"]
    batch = pd.DataFrame(cols).assign(pid=ids, ts=pd.to_datetime(stamps(4), utc=True))
    table = build_audit(
        batch,
        pd.DataFrame(outputs(4)),
        feature_columns=FEATURES,
        id_column="pid",
        timestamp_column="ts",
        model=MODEL,
        batch_id="x",
    ).table
    one, two = RunningChain("seg", MODEL), RunningChain("seg", MODEL)
    appended = one.append(table)
    extended = two.extend(cols, ids, stamps(4), outputs(4))
    assert appended.chain_hash.tolist() == extended.chain_hash.tolist()
    assert one.root == two.root


def test_append_refuses_a_table_of_another_model() -> None:
    chain = RunningChain("seg", ModelIdentity("other", "9", "e" * 64))
    batch = pd.DataFrame(columns(2)).assign(pid=["a", "b"], ts=pd.to_datetime(stamps(2), utc=True))
    table = build_audit(
        batch,
        pd.DataFrame(outputs(2)),
        feature_columns=FEATURES,
        id_column="pid",
        timestamp_column="ts",
        model=MODEL,
        batch_id="x",
    ).table
    with pytest.raises(AuditError, match="a segment holds one model"):
        chain.append(table)


def test_extend_refuses_columns_of_the_wrong_length_and_missing_times() -> None:
    chain = RunningChain("seg", MODEL)
    with pytest.raises(AuditError, match="has 3 values for 2 ids"):
        chain.extend(columns(3), ["a", "b"], stamps(2), outputs(2))
    times = stamps(2)
    times[1] = np.datetime64("NaT")
    with pytest.raises(AuditError, match="missing"):
        chain.extend(columns(2), ["a", "b"], times, outputs(2))
    assert chain.count == 0


values = st.one_of(
    st.floats(allow_nan=False, allow_infinity=True, width=64),
    st.integers(min_value=-(2**53), max_value=2**53).map(float),
)


@settings(max_examples=60, deadline=None)
@given(
    numbers=st.lists(values, min_size=1, max_size=6),
    texts=st.lists(st.text(min_size=0, max_size=8), min_size=1, max_size=6),
    micros=st.integers(min_value=0, max_value=10**15),
)
def test_extend_equals_build_audit_for_any_values(
    numbers: list[float], texts: list[str], micros: int
) -> None:
    n = min(len(numbers), len(texts))
    cols = {
        "num": np.array(numbers[:n], dtype=np.float64),
        "text": np.array(texts[:n], dtype=object),
    }
    ids = [f"id{i}" for i in range(n)]
    ts = np.datetime64(dt.datetime(2000, 1, 1), "us") + np.arange(n) * np.timedelta64(micros, "us")
    preds = outputs(n)
    rows = RunningChain("seg", MODEL).extend(cols, ids, ts, preds)
    assert rows.record_hash.tolist() == reference_hashes(cols, ids, ts, preds)


def test_column_names_with_percent_signs_and_quotes_hash_like_build_audit() -> None:
    cols = {"share %": np.array([0.5, 2.0]), 'say "hi"': np.array(["a", "b"], dtype=object)}
    ids, ts, preds = ["a", "b"], stamps(2), outputs(2)
    rows = RunningChain("seg", MODEL).extend(cols, ids, ts, preds)
    assert rows.record_hash.tolist() == reference_hashes(cols, ids, ts, preds)


@settings(max_examples=60, deadline=None)
@given(
    ids=st.lists(st.text(min_size=1, max_size=6), min_size=1, max_size=8, unique=True),
    labels=st.lists(st.booleans(), min_size=8, max_size=8),
)
def test_any_string_ids_and_other_dtypes_hash_like_build_audit(
    ids: list[str], labels: list[bool]
) -> None:
    """Ids that need escaping or are not ASCII, float32, int32, bool and category columns."""
    n = len(ids)
    cols = {
        "f32": np.linspace(-1.5, 2.25, n, dtype=np.float32),
        "i32": np.arange(n, dtype=np.int32) - 3,
        "flag": np.array(labels[:n], dtype=bool),
        "band": pd.Categorical(["lo", "hi"] * n)[:n],
    }
    ts, preds = stamps(n), outputs(n)
    rows = RunningChain("seg", MODEL).extend(cols, ids, ts, preds)  # type: ignore[arg-type]
    assert rows.record_hash.tolist() == reference_hashes(cols, ids, ts, preds)  # type: ignore[arg-type]
    assert rows.prediction_id == ids


def request_stamps(n: int, per_request: int = 4) -> np.ndarray:
    """One event time per request of ``per_request`` rows, as a server's batch holds them."""
    start = np.datetime64("2024-05-01T10:00:00.123456", "us")
    return start + (np.arange(n) // per_request).astype("timedelta64[ms]")


@pytest.mark.parametrize("key", [None, b"serving-key", b"k" * 80])
def test_chunked_batches_chain_across_extends_like_the_reference(
    key: bytes | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Batches of several 8-row chunks (hashed in the worker threads, linked in order), one
    within a chunk and one of a single row, extend one chain: every text, record hash, chain
    link and the root equal the reference engine's, keyed or not."""
    monkeypatch.setattr(_running, "CHUNK_ROWS", 8)
    sizes = [45, 3, 1, 64, 20]
    batches = [
        (columns(n, s), [f"r{s}-{i}" for i in range(n)], request_stamps(n), outputs(n, s))
        for s, n in enumerate(sizes)
    ]
    chain = RunningChain("run/segment-000002", MODEL, key)
    got = [chain.extend(*batch) for batch in batches]
    monkeypatch.setenv(ENGINE_ENV, "python")
    reference = RunningChain("run/segment-000002", MODEL, key)
    expected = [reference.extend(*batch) for batch in batches]
    for mine, theirs in zip(got, expected, strict=True):
        for field in ("event_timestamp", "prediction", "record_hash", "chain_hash"):
            assert getattr(mine, field).tolist() == getattr(theirs, field).tolist(), field
        assert mine.seq.tolist() == theirs.seq.tolist()
    assert chain.root == reference.root and chain.count == sum(sizes)
    table = table_of(concat(got), MODEL, chain.hash_alg)
    assert verify_chain(table, chain.manifest(tuple(FEATURES)), key=key).ok


def test_event_times_beyond_year_9999_hash_like_the_reference(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ts = np.array(["9999-12-31T23:59:59.999999", "2024-01-01", "2024-01-01"], "datetime64[us]")
    cols, ids, preds = columns(3), ["a", "b", "c"], outputs(3)
    late = ts.copy()
    late[0] = np.datetime64("10000-01-01T00:00:00", "us")
    for stamps_ in (ts, late):
        mine = RunningChain("seg", MODEL).extend(cols, ids, stamps_, preds)
        with monkeypatch.context() as patch:
            patch.setenv(ENGINE_ENV, "python")
            theirs = RunningChain("seg", MODEL).extend(cols, ids, stamps_, preds)
        assert mine.chain_hash.tolist() == theirs.chain_hash.tolist()
        assert mine.event_timestamp[1] == "2024-01-01T00:00:00.000000+00:00"
