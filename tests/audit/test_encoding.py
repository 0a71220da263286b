"""Canonical encoding: deterministic, value-normalised, and equal to the documented spec."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from glassbox.audit import AuditError, canonical_record, encode_value
from glassbox.audit._encoding import encode_column

DOC = Path(__file__).resolve().parents[2] / "docs" / "audit.md"
BASE: dict[str, Any] = {
    "features": {"car_value": 39811.0, "salary_range": "40K+", "loan_length": 20},
    "model_fingerprint": "ab" * 32,
    "event_timestamp": pd.Timestamp("2018-01-01 08:15:27.25"),
    "prediction_id": "42",
    "prediction": {"proba": 0.8312, "label": 1},
}


def digest(**changes: Any) -> str:
    args = {**BASE, **changes}
    return hashlib.sha256(canonical_record(args.pop("features"), **args)).hexdigest()


def reference(value: Any) -> Any:
    """The spec of docs/audit.md, written independently of the library."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, float):
        if math.isinf(value):
            return {"$float": "inf" if value > 0 else "-inf"}
        return int(value) if value.is_integer() else value
    if isinstance(value, dt.datetime):
        utc = value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)
        return {"$timestamp": utc.isoformat(timespec="microseconds")}
    if isinstance(value, dict):
        return {k: reference(v) for k, v in value.items()}
    return value


def reference_bytes(features: dict[str, Any], prediction: Any, ts: dt.datetime) -> bytes:
    record = {
        "v": 1,
        "prediction_id": "p-1",
        "event_timestamp": reference(ts)["$timestamp"],
        "model_fingerprint": "fp",
        "prediction": reference(prediction),
        "features": reference(features),
    }
    text = json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.encode("utf-8")


def test_same_inputs_give_the_same_hash_across_python_numpy_and_pandas_types() -> None:
    numpy_typed = {
        "car_value": np.float64(39811.0),
        "salary_range": np.str_("40K+"),
        "loan_length": np.int32(20),
    }
    assert digest() == digest()
    assert digest(features=numpy_typed) == digest()
    assert digest(event_timestamp=dt.datetime(2018, 1, 1, 8, 15, 27, 250000)) == digest()
    assert digest(prediction_id=42) == digest(prediction_id=np.int64(42)) == digest()


@pytest.mark.parametrize(
    "change",
    [
        {"features": {**BASE["features"], "car_value": 39811.5}},
        {"features": {**BASE["features"], "salary_range": "40K+ "}},
        {"features": {**BASE["features"], "extra": 1}},
        {"model_fingerprint": "ac" * 32},
        {"prediction": {"proba": 0.8313, "label": 1}},
        {"prediction": {"proba": 0.8312, "label": 0}},
        {"event_timestamp": pd.Timestamp("2018-01-01 08:15:27.250001")},
        {"prediction_id": "43"},
    ],
    ids=[
        "feature-float",
        "feature-str",
        "extra-feature",
        "fingerprint",
        "proba",
        "label",
        "timestamp-1us",
        "id",
    ],
)
def test_any_changed_field_changes_the_hash(change: dict[str, Any]) -> None:
    assert digest(**change) != digest()


def test_documented_worked_example_matches_the_library() -> None:
    data = canonical_record(
        {
            "car_value": np.float64(39811.0),
            "debt_to_income_ratio": 0.5857,
            "loan_length": np.int64(20),
            "repaid_loan_on_prev_car": np.bool_(False),
            "salary_range": "40K+",
        },
        model_fingerprint="9f2c4e1a",
        event_timestamp=pd.Timestamp("2018-01-01 08:15:27.25"),
        prediction_id=42,
        prediction={"label": 1, "proba": 0.8312},
    )
    doc = DOC.read_text(encoding="utf-8")
    assert data.decode() in doc
    assert hashlib.sha256(data).hexdigest() in doc


def test_values_are_normalised_as_documented() -> None:
    assert encode_value(-0.0) == encode_value(0) == "0"
    assert encode_value(np.float32(3.0)) == encode_value(3) == "3"
    assert encode_value(0.1) == "0.1"
    assert encode_value(True) == encode_value(np.bool_(True)) == "true"
    assert encode_value(True) != encode_value(1)
    assert {encode_value(v) for v in (None, float("nan"), np.nan, pd.NA, pd.NaT)} == {"null"}
    assert encode_value(float("-inf")) == '{"$float":"-inf"}'
    assert encode_value("1") != encode_value(1)
    assert encode_value("ü\n") == '"ü\\n"'


def test_timestamps_are_utc_microseconds_with_naive_taken_as_utc() -> None:
    naive = pd.Timestamp("2018-01-01 08:00:00.123456789")
    paris = pd.Timestamp("2018-01-01 09:00:00.123456", tz="Europe/Paris")
    expected = '{"$timestamp":"2018-01-01T08:00:00.123456+00:00"}'
    assert encode_value(naive) == encode_value(paris) == expected
    assert encode_value(np.datetime64("2018-01-01T08:00:00.123456")) == expected
    assert encode_value(dt.date(2018, 1, 1)) == '{"$date":"2018-01-01"}'


def test_reserved_keys_and_unsupported_values_are_rejected_naming_the_field() -> None:
    with pytest.raises(AuditError, match=r"prediction: mapping key '\$float' .* reserved"):
        digest(prediction={"$float": "inf"})
    with pytest.raises(AuditError, match=r"features\['blob'\]: cannot encode a bytes"):
        digest(features={"blob": b"x"})
    with pytest.raises(AuditError, match="event_timestamp: timestamp is missing"):
        digest(event_timestamp=pd.NaT)
    with pytest.raises(AuditError, match=r"prediction_id: prediction id 1\.5 is not"):
        digest(prediction_id=1.5)


finite = st.floats(allow_nan=False, allow_infinity=False)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(),
    st.text(max_size=8),
    st.datetimes(min_value=dt.datetime(1700, 1, 1), max_value=dt.datetime(2200, 1, 1)),
)
names = st.text(min_size=1, max_size=6).filter(lambda k: not k.startswith("$"))


@given(finite)
def test_floats_round_trip_exactly(x: float) -> None:
    text = encode_value(x)
    assert json.loads(text) == x
    assert encode_value(np.float64(x)) == text


@given(st.floats(width=32))
def test_float32_values_encode_as_their_exact_float64_widening(x: float) -> None:
    assert encode_value(np.float32(x)) == encode_value(float(np.float32(x)))


@given(finite, finite)
def test_different_float_values_never_share_an_encoding(x: float, y: float) -> None:
    assert (encode_value(x) == encode_value(y)) == (x == y)


@given(
    st.dictionaries(names, scalars, max_size=6),
    scalars,
    st.datetimes(min_value=dt.datetime(1700, 1, 1), max_value=dt.datetime(2200, 1, 1)),
)
def test_canonical_bytes_equal_the_documented_json(
    features: dict[str, Any], prediction: Any, ts: dt.datetime
) -> None:
    got = canonical_record(
        features,
        model_fingerprint="fp",
        event_timestamp=ts,
        prediction_id="p-1",
        prediction=prediction,
    )
    assert got == reference_bytes(features, prediction, ts)


@given(st.lists(st.floats(), max_size=20))
def test_float_columns_encode_like_single_values(values: list[float]) -> None:
    column = pd.Series(values, dtype="float64")
    assert encode_column(column, "c") == [encode_value(v) for v in values]
    with np.errstate(over="ignore"):
        as_float32 = column.astype("float32")
    assert encode_column(as_float32, "c") == [encode_value(v) for v in as_float32.tolist()]


@given(st.lists(st.integers(min_value=-(2**63), max_value=2**63 - 1), max_size=20))
def test_int_columns_encode_like_single_values(values: list[int]) -> None:
    assert encode_column(pd.Series(values, dtype="int64"), "c") == [str(v) for v in values]


@given(
    st.lists(
        st.datetimes(min_value=dt.datetime(1700, 1, 1), max_value=dt.datetime(2200, 1, 1)),
        max_size=10,
    )
)
def test_timestamp_columns_encode_like_single_values(values: list[dt.datetime]) -> None:
    naive = pd.Series(pd.to_datetime(values), dtype="datetime64[ns]")
    assert encode_column(naive, "c") == [encode_value(v) for v in values]
    aware = naive.dt.tz_localize("UTC").dt.tz_convert("America/New_York")
    assert encode_column(aware, "c") == [encode_value(v) for v in values]


@given(st.lists(scalars, max_size=10))
def test_object_columns_encode_like_single_values(values: list[Any]) -> None:
    assert encode_column(pd.Series(values, dtype=object), "c") == [encode_value(v) for v in values]
