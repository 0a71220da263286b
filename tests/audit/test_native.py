"""The native engine (compiled loops) writes exactly the reference engine's bytes."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from glassbox.audit import (
    AuditError,
    ModelIdentity,
    _engine,
    _native,
    engine_info,
    verify_chain,
    warm_up,
)
from glassbox.audit._build import _Args, native_table, reference_table
from glassbox.audit._chain import genesis
from glassbox.audit._encoding import float_text
from glassbox.audit._hashing import Hasher

MODEL = ModelIdentity("car-loan-default", "3", "ab" * 32)


@pytest.fixture(scope="module", autouse=True)
def native_ready() -> None:
    info = warm_up()
    assert info.native == "ready", info.summary()


def both(
    batch: pd.DataFrame,
    predictions: Any,
    features: list[str],
    key: bytes | None = None,
    id_column: str = "id",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    hasher = Hasher(key)
    args = _Args(
        batch, predictions, features, id_column, "ts", MODEL, hasher,
        genesis("batch-1", MODEL, hasher),
    )  # fmt: skip
    native, root = native_table(args)
    reference, expected = reference_table(args)
    assert root == expected
    return native, reference


def assert_same(batch: pd.DataFrame, predictions: Any, features: list[str], **kw: Any) -> None:
    native, reference = both(batch, predictions, features, **kw)
    pd.testing.assert_frame_equal(native, reference, check_exact=True)


def test_every_float64_kind_is_written_as_repr_writes_it() -> None:
    """Shortest round-trip digits, exponent form below 1e-4, integers without a point,
    -0.0 as 0, the specials tagged: checked against the reference on 175k values. The loop
    leaves only |x| < 1e-10 and integers beyond int64 to it."""
    from glassbox.audit import _numtext

    rng = np.random.default_rng(11)
    n = 25_000
    values = np.concatenate(
        [
            rng.random(n),  # 16-17 digits
            np.round(rng.random(n) * 10 ** rng.integers(1, 12, n)) / 10 ** rng.integers(1, 12, n),
            10 ** rng.uniform(-320, 308, n) * rng.choice([-1, 1], n),  # every magnitude
            rng.integers(-(2**62), 2**62, n).astype(np.float64) / 8,  # exact binary fractions
            # next to powers of ten (the shortest text may have fewer digits), powers of two
            # (an uneven round-trip interval), halves near 1e15 (a 10^k is an integer)
            np.nextafter(10.0 ** rng.integers(-10, 16, n), np.where(rng.random(n) < 0.5, 0, 9)),
            2.0 ** rng.integers(-33, 53, n) * rng.choice([-1, 1, 3, 5], n),
            (rng.integers(2 * 10**15, 9 * 10**15, n) | 1) / 2.0,
            [0.5, 0.25, 2.0**-30, -0.0, 5e-324, 1.7976931348623157e308, np.nan, np.inf],
        ]
    )
    width = 320
    buf = np.zeros(values.size * width + 512, np.uint8)
    starts, ends = np.zeros(values.size, np.int64), np.zeros(values.size, np.int64)
    todo = np.zeros(values.size, np.bool_)
    _numtext.float_cells(values, (buf, starts, ends, todo), 0, width)
    declined = np.abs(values[todo])
    assert ((declined < 1e-10) | (declined >= 9.2e18)).all()
    wrong = [
        (float(x), bytes(buf[s:e]).decode())
        for x, s, e, t in zip(values.tolist(), starts, ends, todo, strict=True)
        if not t and bytes(buf[s:e]).decode() != float_text(float(x))
    ]
    assert wrong == []


def test_a_car_loan_batch_is_identical_in_both_engines_with_sha256_and_hmac() -> None:
    from glassbox.audit._selftest import sample

    batch, predictions = sample()
    features = ["x", "i", "b", "s", "c", "t"]
    assert_same(batch, predictions, features)
    assert_same(batch, predictions, features, key=b"correct horse battery staple")
    assert_same(batch, predictions, features, key=b"k" * 100)  # hashed first (RFC 2104)
    native, _ = both(batch, predictions, features, key=b"secret")
    row = native.iloc[0]
    assert row["hash_alg"] == "hmac-sha256"
    assert len(row["record_hash"]) == 64


def test_many_chunks_chain_as_one_batch(monkeypatch: pytest.MonkeyPatch) -> None:
    from glassbox.audit import _parallel

    monkeypatch.setattr(_native, "CHUNK_ROWS", 1000)
    monkeypatch.setattr(_parallel, "CHUNK_ROWS", 1000)
    rng = np.random.default_rng(3)
    n = 7_321
    batch = pd.DataFrame(
        {
            "id": [f"loan-{i}" for i in range(n)],
            "ts": pd.date_range("2018-01-01", periods=n, freq="61s", tz="UTC"),
            "v": rng.random(n),
            "k": rng.choice(["a", "b", "ü"], n),
        }
    )
    preds = pd.Series(rng.random(n))
    native, reference = both(batch, preds, ["v", "k"], id_column="id")
    pd.testing.assert_frame_equal(native, reference, check_exact=True)
    hasher = Hasher(None)
    start = genesis("batch-1", MODEL, hasher)
    manifest = {
        "batch_id": "batch-1", "count": n, "genesis": start,
        "root": native["chain_hash"].iloc[-1], "hash_alg": "sha256", "encoding_version": 1,
        "model": {"name": MODEL.name, "version": MODEL.version, "fingerprint": MODEL.fingerprint},
    }  # fmt: skip
    assert verify_chain(native, manifest).ok


def test_a_one_chunk_batch_hashed_in_halves_by_two_threads_is_the_reference() -> None:
    from glassbox.audit import _parallel

    n = 2 * _parallel.HALVES_MIN_ROWS + 37
    rng = np.random.default_rng(5)
    batch = pd.DataFrame(
        {
            "id": [f"r{i}" for i in range(n)],
            "ts": pd.date_range("2024-01-01", periods=n, freq="7s", tz="UTC"),
            "v": rng.standard_normal(n),
            "k": rng.choice(["x", "y"], n),
        }
    )
    preds = pd.Series(rng.random(n))
    assert_same(batch, preds, ["v", "k"])
    assert_same(batch, preds, ["v", "k"], key=b"halves")


def test_a_chunk_that_fails_fails_its_batch_whichever_thread_staged_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The calling thread and a pool worker stage chunks; an error in any chunk reaches the
    caller (not a hang, not a half-built table), and the next batch runs normally."""
    from glassbox.audit import _parallel

    monkeypatch.setattr(_native, "CHUNK_ROWS", 100)
    monkeypatch.setattr(_parallel, "CHUNK_ROWS", 100)
    n = 1_000
    batch = pd.DataFrame(
        {
            "id": np.arange(n),
            "ts": pd.date_range("2024-01-01", periods=n, freq="s", tz="UTC"),
            "v": np.linspace(0, 1, n),
        }
    )
    preds = pd.Series(np.linspace(1, 0, n))
    real = _parallel.prepare
    for failing in (0, 100, 500, 900):

        def prepare(plan: Any, lo: int, hi: int, failing: int = failing) -> Any:
            if lo == failing:
                raise AuditError(f"chunk at row {lo}: refused")
            return real(plan, lo, hi)

        monkeypatch.setattr(_parallel, "prepare", prepare)
        with pytest.raises(AuditError, match=f"chunk at row {failing}: refused"):
            both(batch, preds, ["v"])
    monkeypatch.setattr(_parallel, "prepare", real)
    assert_same(batch, preds, ["v"])


cells = st.one_of(
    st.none(),
    st.floats(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.text(max_size=6),
    st.booleans(),
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.floats(), min_size=1, max_size=40),
    st.lists(st.text(max_size=5), min_size=1, max_size=40),
    st.lists(cells, min_size=1, max_size=40),
    st.lists(
        st.datetimes(min_value=dt.datetime(1700, 1, 1), max_value=dt.datetime(2200, 1, 1)),
        min_size=1,
        max_size=40,
    ),
)
def test_random_columns_are_identical_in_both_engines(
    floats: list[float], texts: list[str], mixed: list[Any], stamps: list[dt.datetime]
) -> None:
    n = min(len(floats), len(texts), len(mixed), len(stamps))
    batch = pd.DataFrame(
        {
            "id": np.arange(n, dtype=np.int64) * 7 - 3,
            "ts": pd.Series(stamps[:n]),
            "f": floats[:n],
            "s": pd.Series(texts[:n], dtype=object),
            "m": pd.Series(mixed[:n], dtype=object),
            "t": pd.Series(stamps[:n]).dt.tz_localize("Asia/Kolkata"),
            "i": np.arange(n, dtype=np.int64) - 2**62,
        }
    )
    preds = pd.DataFrame({"p": floats[:n][::-1], "l": [int(x > 0) for x in floats[:n]]})
    assert_same(batch, preds, ["f", "s", "m", "t", "i"])


def test_bad_input_gets_the_reference_error_from_the_native_engine() -> None:
    batch = pd.DataFrame({"id": [1, 1], "ts": pd.to_datetime(["2018-01-01"] * 2), "x": [1.0, 2]})
    hasher = Hasher(None)
    args = _Args(batch, pd.Series([0.1, 0.2]), ["x"], "id", "ts", MODEL, hasher, "g" * 64)
    with pytest.raises(AuditError, match=r"id column 'id': prediction ids are not unique: \['1'\]"):
        native_table(args)
    late = batch.assign(id=[1, 2], ts=[pd.Timestamp("2018-01-01"), pd.NaT])
    args = args._replace(batch=late)
    with pytest.raises(AuditError, match="missing value for prediction id '2'"):
        native_table(args)


def test_the_engine_setting_is_validated_and_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(_engine.ENGINE_ENV, "turbo")
    with pytest.raises(AuditError, match="GLASSBOX_AUDIT_ENGINE='turbo': expected one of"):
        _engine.use_native(10)
    monkeypatch.setenv(_engine.ENGINE_ENV, "python")
    assert not _engine.use_native(10**7)
    monkeypatch.setenv(_engine.ENGINE_ENV, "auto")
    assert _engine.use_native(1)  # loaded in this process: every batch goes native
    info = engine_info()
    assert info.native == "ready"
    assert "libcrypto" in (info.libcrypto or "")


def test_a_record_hash_from_the_native_engine_is_the_documented_sha256() -> None:
    batch = pd.DataFrame(
        {
            "id": [42],
            "ts": [pd.Timestamp("2018-01-01 08:15:27.25")],
            "car_value": [39811.0],
            "debt_to_income_ratio": [0.5857],
            "loan_length": [20],
            "repaid_loan_on_prev_car": [False],
            "salary_range": ["40K+"],
        }
    )
    features = list(batch.columns[2:])
    model = ModelIdentity("car-loan-default", "3", "9f2c4e1a")
    hasher = Hasher(None)
    preds = pd.DataFrame({"label": [1], "proba": [0.8312]})
    start = genesis("2018-01-01", model, hasher)
    table, root = native_table(_Args(batch, preds, features, "id", "ts", model, hasher, start))
    record = {
        "v": 1, "prediction_id": "42", "event_timestamp": "2018-01-01T08:15:27.250000+00:00",
        "model_fingerprint": "9f2c4e1a", "prediction": {"label": 1, "proba": 0.8312},
        "features": {"car_value": 39811, "debt_to_income_ratio": 0.5857, "loan_length": 20,
                     "repaid_loan_on_prev_car": False, "salary_range": "40K+"},
    }  # fmt: skip
    data = json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    assert table["record_hash"].iloc[0] == hashlib.sha256(data).hexdigest()
    assert root == "7b92705035502af9d0d55ccbe1d44fa53f94e4489a2a943a7974833bf74a59f5"
    keyed = Hasher(b"example-key")
    start = genesis("2018-01-01", model, keyed)
    table, _ = native_table(_Args(batch, preds, features, "id", "ts", model, keyed, start))
    mac = hmac.new(b"example-key", data, "sha256").hexdigest()
    assert table["record_hash"].iloc[0] == mac
    assert mac == "20a52fd6e376451f726b380beb5e690c1be3bc263f1a22d9cea4abdd1e9c3f06"
