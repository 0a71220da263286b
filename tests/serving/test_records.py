"""Request records against the data contract: the happy path is model-ready, every problem is a
422 naming the record, the field and what was expected."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from glassbox.serving import RequestError
from glassbox.serving._http import decode_json

from ._toy import SALARY, record, served

SCHEMA = served().schema


def test_a_record_becomes_the_columns_the_model_was_trained_on() -> None:
    found = SCHEMA.validate(
        [record(0, loan_length=12, repaid_loan_on_prev_car=False), record(1, id="a-1")], "req"
    )
    assert found.n == 2
    assert found.columns["loan_length"].dtype == np.float64
    assert found.columns["loan_length"][0] == 12.0
    # a JSON boolean is the category label the training data had (as transform writes it)
    assert found.columns["repaid_loan_on_prev_car"].tolist()[0] == "False"
    assert found.ids == ["req-0", "a-1"]
    assert found.id_texts == ["req-0", "a-1"]


def test_one_object_is_one_record_and_integer_ids_are_kept() -> None:
    found = SCHEMA.validate(record(3, id=42), "req")
    assert (found.n, found.ids, found.id_texts) == (1, [42], ["42"])


def test_category_labels_given_as_text_or_booleans_are_the_same() -> None:
    a = SCHEMA.validate(record(0, repaid_loan_on_prev_car=True), "r")
    b = SCHEMA.validate(record(0, repaid_loan_on_prev_car="True"), "r")
    assert a.columns["repaid_loan_on_prev_car"].tolist() == ["True"]
    assert b.columns["repaid_loan_on_prev_car"].tolist() == ["True"]


BAD: list[tuple[str, Any, str, str | None]] = [
    ("scalar body", 3, "not_a_record", None),
    ("empty array", [], "empty_batch", None),
    ("record not an object", [record(0), "x"], "not_a_record", None),
    (
        "missing field",
        {k: v for k, v in record(0).items() if k != "car_value"},
        "missing_field",
        "car_value",
    ),
    ("unknown field", record(0, colour="red"), "unknown_field", "colour"),
    ("text in a numeric field", record(0, car_value="12000"), "wrong_type", "car_value"),
    ("boolean in a numeric field", record(0, loan_length=True), "wrong_type", "loan_length"),
    ("null in a numeric field", record(0, car_value=None), "missing_value", "car_value"),
    ("NaN", record(0, car_value=math.nan), "not_finite", "car_value"),
    ("infinity", record(0, debt_to_income_ratio=-math.inf), "not_finite", "debt_to_income_ratio"),
    ("integer beyond float64", record(0, car_value=10**400), "not_finite", "car_value"),
    ("unseen category", record(0, salary_range="90K+ €"), "unseen_category", "salary_range"),
    ("object as a category", record(0, salary_range={"a": 1}), "wrong_type", "salary_range"),
    ("empty id", record(0, id=""), "bad_id", "id"),
    ("float id", record(0, id=1.5), "bad_id", "id"),
    ("id with a newline", record(0, id="a\nb"), "bad_id", "id"),
    ("duplicate ids", [record(0, id="x"), record(1, id="x")], "duplicate_id", "id"),
]


@pytest.mark.parametrize(("case", "body", "code", "field"), BAD, ids=[b[0] for b in BAD])
def test_a_bad_record_is_a_422_naming_the_field(
    case: str, body: Any, code: str, field: str | None
) -> None:
    with pytest.raises(RequestError) as caught:
        SCHEMA.validate(body, "req")
    error = caught.value
    assert (error.status, error.code, error.field) == (422, code, field), error.message
    if field is not None:
        assert repr(field) in error.message
    assert "Traceback" not in error.message


def test_the_index_locates_the_bad_record_in_an_array() -> None:
    with pytest.raises(RequestError, match=r"record 2, field 'salary_range': unseen category"):
        SCHEMA.validate([record(0), record(1), record(2, salary_range="nope")], "r")


def test_unseen_category_lists_what_the_model_knows() -> None:
    with pytest.raises(RequestError) as caught:
        SCHEMA.validate(record(0, salary_range="nope"), "r")
    for label in SALARY:
        assert repr(label) in caught.value.message


def test_too_many_records_is_refused() -> None:
    schema = served().schema
    with pytest.raises(RequestError, match="at most 1000 per request"):
        schema.validate([record(i) for i in range(1001)], "r")


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"", "empty_body"),
        (b"   ", "empty_body"),
        (b'{"a": 1', "malformed_json"),
        (b"[1, 2,]", "malformed_json"),
        (b'{"a": "\xff"}', "not_utf8"),
    ],
)
def test_bodies_that_are_not_json_are_a_400(body: bytes, code: str) -> None:
    with pytest.raises(RequestError) as caught:
        decode_json(body)
    assert (caught.value.status, caught.value.code) == (400, code)


def test_nan_literals_are_read_so_the_field_can_be_named() -> None:
    doc = decode_json(b'{"car_value": NaN, "x": Infinity}')
    assert math.isnan(doc["car_value"])
    assert doc["x"] == math.inf
