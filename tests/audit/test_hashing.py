"""HMAC-SHA256: differs from SHA-256, needs the key, and never leaks it."""

from __future__ import annotations

import hashlib
import hmac

import pandas as pd
import pytest

from glassbox.audit import (
    AuditBatch,
    AuditError,
    Hasher,
    canonical_record,
    find_record,
    key_from_env,
    verify_chain,
)

from .helpers import FEATURES, audit_of

KEY = b"correct horse battery staple"


@pytest.fixture
def keyed(scored: tuple[pd.DataFrame, pd.DataFrame]) -> AuditBatch:
    return audit_of(*scored, key=KEY)


def test_hmac_hashes_differ_from_plain_and_are_standard_hmac_sha256(
    scored: tuple[pd.DataFrame, pd.DataFrame], audited: AuditBatch, keyed: AuditBatch
) -> None:
    batch, predictions = scored
    assert set(keyed.table["hash_alg"]) == {"hmac-sha256"}
    assert keyed.manifest.hash_alg == "hmac-sha256"
    assert not set(keyed.table["record_hash"]) & set(audited.table["record_hash"])
    row, pred = batch.iloc[0], predictions.iloc[0]
    data = canonical_record(
        {c: row[c] for c in FEATURES},
        model_fingerprint=keyed.manifest.model.fingerprint,
        event_timestamp=row["timestamp"],
        prediction_id=row["id"],
        prediction=pred.to_dict(),
    )
    assert keyed.table["record_hash"].iloc[0] == hmac.new(KEY, data, "sha256").hexdigest()
    assert audited.table["record_hash"].iloc[0] == hashlib.sha256(data).hexdigest()


def test_hmac_audit_cannot_be_checked_without_the_right_key(
    scored: tuple[pd.DataFrame, pd.DataFrame], keyed: AuditBatch
) -> None:
    with pytest.raises(AuditError, match="hashed with hmac-sha256; pass the HMAC key"):
        verify_chain(keyed.table, keyed.manifest)
    assert verify_chain(keyed.table, keyed.manifest, key=KEY).ok
    wrong = verify_chain(keyed.table, keyed.manifest, key=b"guess")
    assert not wrong.ok
    assert [p.kind for p in wrong.problems] == ["key"]
    batch, _ = scored
    row = batch.iloc[2]
    features = {c: row[c] for c in FEATURES}
    args = (features, row["id"], row["timestamp"], {"run-1": keyed.table})
    with pytest.raises(AuditError, match=r"audit table\(s\) \['run-1'\]: hashed with hmac"):
        find_record(*args)
    assert find_record(*args, key=KEY).recorded
    assert find_record(*args, key=b"guess").status == "inputs_differ"


def test_the_key_never_appears_in_repr_tables_or_errors(keyed: AuditBatch) -> None:
    secret = KEY.decode()
    assert secret not in repr(Hasher(KEY))
    assert secret not in keyed.table.to_string() + keyed.manifest.to_json()
    with pytest.raises(AuditError) as bad_alg:
        Hasher.for_alg("md5", KEY, "table t")
    assert secret not in str(bad_alg.value)
    with pytest.raises(AuditError, match="HMAC key is empty") as empty:
        Hasher("")
    assert "GLASSBOX_AUDIT_HMAC_KEY" in str(empty.value)


def test_key_from_env_reads_the_variable_and_treats_empty_as_unset() -> None:
    assert key_from_env({"GLASSBOX_AUDIT_HMAC_KEY": "s3crét"}) == "s3crét".encode()
    assert key_from_env({"GLASSBOX_AUDIT_HMAC_KEY": ""}) is None
    assert key_from_env({}) is None
