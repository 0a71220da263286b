"""Derived prediction ids (data without an id column) and finding a row without id/timestamp."""

from __future__ import annotations

import hashlib
import json

import pandas as pd

from glassbox.audit import derive_prediction_ids, derived_id, find_row

from .helpers import FEATURES, audit_of, make_batch


def test_derived_id_is_documented_hash_of_the_canonical_features_with_repeat_suffixes() -> None:
    batch, _ = make_batch(rows=4)
    batch = pd.concat([batch, batch.iloc[[1, 1]]], ignore_index=True)  # row 1 three times
    ids = derive_prediction_ids(batch, FEATURES)
    first = batch.iloc[1]
    values = {f: first[f].item() if hasattr(first[f], "item") else first[f] for f in FEATURES}
    values = {
        f: int(v) if isinstance(v, float) and v.is_integer() else v for f, v in values.items()
    }
    canonical = json.dumps(values, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    digest = hashlib.sha256(b"glassbox-row-id-v1\n" + canonical.encode()).hexdigest()
    assert ids[1] == "r" + digest[:20]
    assert ids[4:] == [f"{ids[1]}-2", f"{ids[1]}-3"]
    assert len(set(ids)) == len(ids) == 6
    assert derived_id({f: first[f] for f in FEATURES}) == ids[1]


def test_ids_depend_on_values_not_dtypes_or_column_order_and_change_with_any_feature() -> None:
    batch, _ = make_batch(rows=20)
    ids = derive_prediction_ids(batch, FEATURES)
    as_float = batch.astype({"loan_length": "float64"})[list(reversed(batch.columns))]
    assert derive_prediction_ids(as_float, FEATURES) == ids
    changed = batch.copy()
    changed.loc[7, "debt_to_income_ratio"] += 1e-9
    new = derive_prediction_ids(changed, FEATURES)
    assert [i for i, (a, b) in enumerate(zip(ids, new, strict=True)) if a != b] == [7]


def test_an_hmac_key_keys_the_ids_too() -> None:
    batch, _ = make_batch(rows=5)
    plain = derive_prediction_ids(batch, FEATURES)
    keyed = derive_prediction_ids(batch, FEATURES, key="secret")
    assert not set(plain) & set(keyed)
    assert keyed == derive_prediction_ids(batch, FEATURES, key="secret")


def test_find_row_without_id_or_timestamp_checks_the_recorded_hash() -> None:
    batch, predictions = make_batch(rows=12)
    batch = batch.assign(row_id=derive_prediction_ids(batch, FEATURES))
    audited = audit_of(batch, predictions, id_column="row_id")
    tables = [("score-run", audited.table, audited.manifest)]
    row = {f: batch.iloc[5][f] for f in FEATURES}
    match = find_row(row, tables)
    assert match.recorded and match.location is not None
    assert (match.location.source, match.location.seq) == ("score-run", 5)
    assert match.prediction == {"label": int(predictions.label[5]), "proba": predictions.proba[5]}
    stamp = batch.timestamp[5]
    assert find_row(row, tables, event_timestamp=stamp).recorded
    assert not find_row(row, tables, event_timestamp=stamp + pd.Timedelta("1s")).recorded
    assert find_row(row | {"loan_length": 999}, tables).status == "not_found"


def test_find_row_with_a_real_id_and_no_timestamp_uses_the_recorded_time() -> None:
    batch, predictions = make_batch(rows=6)
    audited = audit_of(batch, predictions)
    tables = [("run", audited.table, audited.manifest)]
    row = {f: batch.iloc[2][f] for f in FEATURES}
    assert find_row(row, tables, prediction_id=int(batch.id[2])).recorded
    other = find_row(row, tables, prediction_id=int(batch.id[3]))
    assert other.status == "inputs_differ"
