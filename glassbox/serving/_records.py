"""Request records checked against the model's data contract, column by column.

A body is one record (a JSON object: the model's feature columns plus an optional ``id``) or
an array of them. Each feature is checked the way the validate step's contract says — numeric:
a finite JSON number; categorical: a label the reference had (``label_of`` semantics, so
``true`` matches ``"True"``); boolean: ``true``/``false``; datetime: an ISO-8601 string — and
turned into the column the model was trained on (float64 numbers, category labels as text).
The happy path is vectorised per column; a problem is located (record index, field) only when
there is one, and reported as a 422 naming the field and what was expected.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from glassbox.quality import label_of
from glassbox.serving._errors import RequestError, invalid

if TYPE_CHECKING:
    from glassbox.quality import ColumnContract, DataContract

ID_FIELD = "id"
_NUMBER_TYPES = frozenset({int, float})
_BOOL_LABELS = {"True": True, "False": False, "true": True, "false": False}
_BOOL_TEXT = {True: "True", False: "False"}  # label_of of a boolean
_SHOWN_CATEGORIES = 20


_JSON_TYPES = ((bool, "a boolean"), (int | float, "a number"), (str, "a string"),
               (list, "an array"), (dict, "an object"))  # fmt: skip


def json_type(value: Any) -> str:
    """How a decoded JSON value is called in a message."""
    if value is None:
        return "null"
    return next((name for kind, name in _JSON_TYPES if isinstance(value, kind)), "a value")


def shown(value: Any, limit: int = 60) -> str:
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    text = repr(value) if not isinstance(value, bool) else ("true" if value else "false")
    return text if len(text) <= limit else text[: limit - 3] + "..."


@dataclass(frozen=True)
class FieldSpec:
    """One feature as the contract describes it."""

    name: str
    kind: str
    nullable: bool
    categories: tuple[str, ...] = ()

    @classmethod
    def of(cls, name: str, column: ColumnContract) -> FieldSpec:
        return cls(name, column.kind, column.nullable, tuple(column.categories or ()))

    def expected(self) -> str:
        if self.kind == "numeric":
            return "a finite number"
        if self.kind == "boolean":
            return "true or false"
        if self.kind == "datetime":
            return "an ISO-8601 date-time string"
        shown_ = ", ".join(repr(c) for c in self.categories[:_SHOWN_CATEGORIES])
        more = f", ... ({len(self.categories)} in all)" if len(self.categories) > 20 else ""
        return f"one of {shown_}{more}"


@dataclass(frozen=True)
class Records:
    """Validated records: model-ready columns, the prediction ids and what the caller sent."""

    n: int
    columns: dict[str, np.ndarray]
    ids: list[Any]  # as echoed in the response (the caller's, or generated)
    id_texts: list[str]  # as recorded in the audit


def _where(index: int | None, name: str | None) -> str:
    parts = []
    if index is not None:
        parts.append(f"record {index}")
    if name is not None:
        parts.append(f"field {name!r}")
    return ", ".join(parts) or "body"


def _bad_value(spec: FieldSpec, index: int, value: Any) -> RequestError:
    where = _where(index, spec.name)
    if value is None:
        return invalid(
            "missing_value",
            f"{where}: expected {spec.expected()}, got null (the model's contract allows no "
            "missing value here)",
            field=spec.name,
            index=index,
        )
    if spec.kind == "numeric" and isinstance(value, float | int) and not isinstance(value, bool):
        return invalid(
            "not_finite",
            f"{where}: expected a finite number, got {shown(value)}",
            field=spec.name,
            index=index,
        )
    if spec.kind == "categorical" and isinstance(value, str | int | float | bool):
        return invalid(
            "unseen_category",
            f"{where}: unseen category {label_of(value)!r} (not in the model's training data); "
            f"expected {spec.expected()}",
            field=spec.name,
            index=index,
        )
    return invalid(
        "wrong_type",
        f"{where}: expected {spec.expected()}, got {json_type(value)} ({shown(value)})",
        field=spec.name,
        index=index,
    )


class RecordSchema:
    """The request schema of one served model, derived from its data contract."""

    def __init__(
        self, contract: DataContract, *, max_records: int = 1000, max_id_length: int = 128
    ) -> None:
        self.fields = tuple(
            FieldSpec.of(name, contract.columns[name]) for name in contract.features
        )
        self.features = tuple(f.name for f in self.fields)
        if ID_FIELD in self.features:
            raise ValueError(f"a feature is called {ID_FIELD!r}, the request's id field")
        self.max_records = max_records
        self.max_id_length = max_id_length
        self._keys = frozenset(self.features)
        self._keys_id = self._keys | {ID_FIELD}
        self._allowed = {f.name: frozenset(f.categories) for f in self.fields}

    # -- body shape ------------------------------------------------------------------------------

    def records(self, doc: Any) -> list[Any]:
        """The list of records in a decoded body (one object or an array of them)."""
        if isinstance(doc, dict):
            return [doc]
        if not isinstance(doc, list):
            raise invalid(
                "not_a_record",
                f"body: expected a JSON object (one record) or an array of records, got "
                f"{json_type(doc)}",
            )
        if not doc:
            raise invalid("empty_batch", "body: empty array; expected at least one record")
        if len(doc) > self.max_records:
            raise invalid(
                "too_many_records",
                f"body: {len(doc)} records; at most {self.max_records} per request",
            )
        return doc

    def check_keys(self, records: list[Any]) -> None:
        """Every record is an object holding exactly the features (and maybe an id)."""
        keys, keys_id = self._keys, self._keys_id
        for index, record in enumerate(records):
            if type(record) is dict and (record.keys() == keys or record.keys() == keys_id):
                continue
            if not isinstance(record, dict):
                raise invalid(
                    "not_a_record",
                    f"record {index}: expected a JSON object of feature values, got "
                    f"{json_type(record)}",
                    index=index,
                )
            self._key_problem(record, index, keys, keys_id)

    def _key_problem(
        self, record: dict[str, Any], index: int, keys: frozenset[str], keys_id: frozenset[str]
    ) -> None:
        missing = [f for f in self.features if f not in record]
        unknown = sorted(k for k in record if k not in keys_id)
        if unknown:
            raise invalid(
                "unknown_field",
                f"record {index}: unknown field {unknown[0]!r}"
                + (f" (and {len(unknown) - 1} more)" if len(unknown) > 1 else "")
                + f"; the model's fields are {', '.join(self.features)} and an optional "
                f"{ID_FIELD!r}",
                field=unknown[0],
                index=index,
            )
        spec = next(f for f in self.fields if f.name == missing[0])
        raise invalid(
            "missing_field",
            f"record {index}: missing field {spec.name!r} (a {spec.kind} feature: expected "
            f"{spec.expected()})"
            + (f"; {len(missing) - 1} more missing" if len(missing) > 1 else ""),
            field=spec.name,
            index=index,
        )

    # -- values -------------------------------------------------------------------------------

    def validate(self, doc: Any, request_id: str) -> Records:
        """Check a decoded /predict body; raises a 422 ``RequestError`` naming the problem."""
        records = self.records(doc)
        self.check_keys(records)
        columns = {
            spec.name: self.column(spec, [r[spec.name] for r in records]) for spec in self.fields
        }
        ids, texts = self.ids(records, request_id)
        return Records(len(records), columns, ids, texts)

    def column(self, spec: FieldSpec, values: list[Any]) -> np.ndarray:
        """The model-ready column of one feature's values; a 422 for the first bad one."""
        if spec.kind == "numeric":
            return self._numeric(spec, values)
        if spec.kind == "categorical":
            return self._categorical(spec, values)
        if spec.kind == "boolean":
            return self._boolean(spec, values)
        return self._datetime(spec, values)

    def _first_bad(self, spec: FieldSpec, values: list[Any], ok: Any) -> RequestError:
        for index, value in enumerate(values):
            if not ok(value):
                return _bad_value(spec, index, value)
        raise AssertionError("no bad value found")  # pragma: no cover - callers checked

    def _numeric(self, spec: FieldSpec, values: list[Any]) -> np.ndarray:
        if set(map(type, values)) <= _NUMBER_TYPES:
            try:
                array = np.array(values, dtype=np.float64)
            except OverflowError:  # an integer beyond float64
                array = np.array([float("inf")])
            if np.isfinite(array).all():
                return array
        if spec.nullable:
            present = [v for v in values if v is not None]
            if present and set(map(type, present)) <= _NUMBER_TYPES:
                array = np.array([np.nan if v is None else v for v in values], dtype=np.float64)
                if np.isfinite(array[~np.isnan(array)]).all():
                    return array

        def ok(v: Any) -> bool:
            if v is None:
                return spec.nullable
            if type(v) not in _NUMBER_TYPES:
                return False
            try:
                return math.isfinite(float(v))
            except OverflowError:
                return False

        raise self._first_bad(spec, values, ok)

    def _categorical(self, spec: FieldSpec, values: list[Any]) -> np.ndarray:
        allowed = self._allowed[spec.name]
        labels = [_BOOL_TEXT[v] if type(v) is bool else v for v in values]
        if all(type(v) is str for v in labels) and allowed.issuperset(labels):
            return np.array(labels, dtype=object)

        def label(v: Any) -> str | None:
            if v is None or isinstance(v, dict | list):
                return None
            if isinstance(v, float) and not math.isfinite(v):
                return None
            return label_of(v)

        def ok(v: Any) -> bool:
            return (v is None and spec.nullable) or label(v) in allowed

        if all(ok(v) for v in values):
            return np.array([None if v is None else label(v) for v in values], dtype=object)
        raise self._first_bad(spec, values, ok)

    def _boolean(self, spec: FieldSpec, values: list[Any]) -> np.ndarray:
        def as_bool(v: Any) -> bool | None:
            if isinstance(v, bool):
                return v
            return _BOOL_LABELS.get(v) if isinstance(v, str) else None

        out = [as_bool(v) for v in values]
        if any(b is None for b in out):
            raise self._first_bad(spec, values, lambda v: as_bool(v) is not None)
        return np.array(out, dtype=bool)

    def _datetime(self, spec: FieldSpec, values: list[Any]) -> np.ndarray:
        import pandas as pd

        def parse(v: Any) -> Any:
            if not isinstance(v, str):
                return None
            try:
                ts = pd.Timestamp(v)
            except (ValueError, TypeError, OverflowError):
                return None
            return None if ts is pd.NaT else ts

        parsed = [parse(v) for v in values]
        if any(p is None for p in parsed):
            raise self._first_bad(spec, values, lambda v: parse(v) is not None)
        return pd.to_datetime(pd.Series(parsed), utc=True).dt.tz_localize(None).to_numpy()

    # -- ids ----------------------------------------------------------------------------------

    def ids(self, records: list[dict[str, Any]], request_id: str) -> tuple[list[Any], list[str]]:
        """Each record's id (the caller's, else ``<request id>-<index>``) and its audit text."""
        ids: list[Any] = []
        texts: list[str] = []
        for index, record in enumerate(records):
            value = record.get(ID_FIELD)
            if value is None and ID_FIELD not in record:
                value = f"{request_id}-{index}"
            texts.append(self._id_text(value, index))
            ids.append(value)
        if len(set(texts)) != len(texts):
            seen: dict[str, int] = {}
            for index, text in enumerate(texts):
                if text in seen:
                    raise invalid(
                        "duplicate_id",
                        f"record {index}, field {ID_FIELD!r}: {text!r} is also the id of record "
                        f"{seen[text]}; ids must be unique within a request",
                        field=ID_FIELD,
                        index=index,
                    )
                seen[text] = index
        return ids, texts

    def _id_text(self, value: Any, index: int) -> str:
        if type(value) is str and 0 < len(value) <= self.max_id_length and value.isprintable():
            return value
        if type(value) is int and abs(value) < 10**18:
            return str(value)
        raise invalid(
            "bad_id",
            f"record {index}, field {ID_FIELD!r}: expected a non-empty printable string of at "
            f"most {self.max_id_length} characters or an integer, got {json_type(value)} "
            f"({shown(value)})",
            field=ID_FIELD,
            index=index,
        )
