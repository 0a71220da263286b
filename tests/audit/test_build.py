"""build_audit: the table never carries features; the manifest anchors the chain."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pandas as pd
import pytest

from glassbox.audit import (
    TABLE_COLUMNS,
    AuditBatch,
    AuditError,
    AuditManifest,
    canonical_record,
    decode_prediction,
)

from .helpers import FEATURES, MODEL, audit_of, make_batch


def test_table_has_exactly_the_audit_columns_and_no_feature_value(
    scored: tuple[pd.DataFrame, pd.DataFrame], audited: AuditBatch
) -> None:
    batch, _ = scored
    table = audited.table
    assert list(table.columns) == list(TABLE_COLUMNS)
    assert not set(FEATURES) & set(table.columns)
    cells = table.astype(str).to_numpy().ravel().tolist()
    blob = "\n".join(cells) + audited.manifest.to_json()
    for column in ("car_value", "debt_to_income_ratio", "salary_range"):
        for value in batch[column]:
            assert str(value) not in blob, (column, value)
            assert repr(value) not in blob, (column, value)


def test_record_hash_is_the_sha256_of_the_canonical_record(
    scored: tuple[pd.DataFrame, pd.DataFrame], audited: AuditBatch
) -> None:
    batch, predictions = scored
    row, pred = batch.iloc[4], predictions.iloc[4]
    data = canonical_record(
        {c: row[c] for c in FEATURES},
        model_fingerprint=MODEL.fingerprint,
        event_timestamp=row["timestamp"],
        prediction_id=row["id"],
        prediction={"proba": pred["proba"], "label": pred["label"]},
    )
    recorded = audited.table.iloc[4]
    assert recorded["record_hash"] == hashlib.sha256(data).hexdigest()
    assert recorded["prediction_id"] == str(row["id"])
    assert recorded["seq"] == 4
    assert decode_prediction(recorded["prediction"]) == {
        "proba": pred["proba"],
        "label": pred["label"],
    }
    assert recorded["event_timestamp"] == row["timestamp"].tz_localize("UTC")


def test_manifest_describes_the_batch_and_survives_json(audited: AuditBatch) -> None:
    manifest = audited.manifest
    assert manifest.count == len(audited.table)
    assert manifest.root == audited.table["chain_hash"].iloc[-1]
    assert manifest.hash_alg == "sha256"
    assert manifest.model == MODEL
    assert manifest.feature_columns == tuple(FEATURES)
    assert AuditManifest.from_json(manifest.to_json()) == manifest
    assert json.loads(manifest.to_json())["encoding_version"] == 1


def test_same_batch_gives_identical_audits_and_another_batch_id_another_chain(
    scored: tuple[pd.DataFrame, pd.DataFrame], audited: AuditBatch
) -> None:
    again = audit_of(*scored)
    pd.testing.assert_frame_equal(again.table, audited.table)
    assert again.manifest == audited.manifest
    other = audit_of(*scored, batch_id="wf-uid-2/score")
    assert other.table["record_hash"].tolist() == audited.table["record_hash"].tolist()
    assert other.manifest.genesis != audited.manifest.genesis
    assert other.manifest.root != audited.manifest.root


def test_predictions_may_be_a_series_a_frame_or_a_2d_array(
    scored: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    batch, predictions = scored
    series = audit_of(batch, predictions["proba"]).table["prediction"]
    assert [float(p) for p in series] == predictions["proba"].tolist()
    two_d = np.column_stack([1 - predictions["proba"], predictions["proba"]])
    rows = audit_of(batch, two_d).table["prediction"].map(json.loads)
    assert rows.tolist() == two_d.tolist()


def test_empty_batch_has_root_equal_to_genesis() -> None:
    batch, predictions = make_batch(rows=0)
    empty = audit_of(batch, predictions)
    assert len(empty.table) == 0
    assert empty.manifest.count == 0
    assert empty.manifest.root == empty.manifest.genesis


def test_bad_batches_are_refused_naming_the_column(
    scored: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    batch, predictions = scored
    with pytest.raises(AuditError, match=r"column\(s\) \['loan_term'\] not found"):
        audit_of(batch, predictions, feature_columns=[*FEATURES, "loan_term"])
    dup = batch.assign(id=[1, 1, *range(2, len(batch))])
    with pytest.raises(AuditError, match=r"id column 'id': prediction ids are not unique: \['1'\]"):
        audit_of(dup, predictions)
    late = batch.assign(timestamp=batch["timestamp"].where(batch.index != 3))
    with pytest.raises(
        AuditError,
        match="event timestamp column 'timestamp': missing value for prediction id '1003'",
    ):
        audit_of(late, predictions)
    with pytest.raises(AuditError, match="predictions: 11 values for a batch of 12 rows"):
        audit_of(batch, predictions.iloc[:-1])
    with pytest.raises(AuditError, match=r"features: column names are not unique: \['loan_length'"):
        audit_of(batch, predictions, feature_columns=["loan_length", "loan_length"])
    ancient = batch.assign(timestamp="1200-01-01")
    with pytest.raises(AuditError, match="event timestamp column 'timestamp': out of range"):
        audit_of(ancient, predictions)
    odd = batch.astype({"salary_range": object})
    odd.loc[2, "salary_range"] = b"raw"
    with pytest.raises(AuditError, match="features column 'salary_range': cannot encode a bytes"):
        audit_of(odd, predictions)
