"""find_record / verify_scored_file: recorded, inputs differ, or not found — and where."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from glassbox.audit import AuditBatch, AuditError, ModelIdentity, find_record, verify_scored_file

from .helpers import FEATURES, MODEL, audit_of


def inputs(batch: pd.DataFrame, i: int) -> tuple[dict[str, Any], Any, Any]:
    row = batch.iloc[i]
    return {c: row[c] for c in FEATURES}, row["id"], row["timestamp"]


def test_a_recorded_prediction_is_found_with_source_seq_and_model(
    scored: tuple[pd.DataFrame, pd.DataFrame], audited: AuditBatch
) -> None:
    batch, predictions = scored
    features, pid, ts = inputs(batch, 6)
    match = find_record(features, pid, ts, {"run-a": audited.table})
    assert match.status == "recorded"
    assert match.recorded
    assert match.location is not None
    assert (match.location.source, match.location.seq) == ("run-a", 6)
    assert (match.location.model_name, match.location.model_version) == ("car-loan-default", "3")
    assert match.location.model_fingerprint == MODEL.fingerprint
    assert match.prediction == predictions.iloc[6].to_dict()
    assert "recorded in run-a at seq 6, made by car-loan-default v3" in match.describe()


@pytest.mark.parametrize(
    "change",
    [
        {"car_value": 1.0},
        {"salary_range": "40K+ €"},
        {"repaid_prev": None},
        {"loan_length": 61},
    ],
)
def test_a_row_with_one_feature_changed_is_rejected(
    scored: tuple[pd.DataFrame, pd.DataFrame], audited: AuditBatch, change: dict[str, Any]
) -> None:
    batch, _ = scored
    features, pid, ts = inputs(batch, 2)
    column, value = next(iter(change.items()))
    if features[column] == value:  # make sure the value really changes
        value = "something else"
    match = find_record({**features, column: value}, pid, ts, {"run-a": audited.table})
    assert match.status == "inputs_differ"
    assert not match.recorded
    assert match.location is None
    assert [(c.source, c.seq) for c in match.candidates] == [("run-a", 2)]
    assert "found (run-a seq 2) but the inputs differ" in match.describe()


def test_another_timestamp_or_a_missing_feature_is_rejected_and_unknown_ids_not_found(
    scored: tuple[pd.DataFrame, pd.DataFrame], audited: AuditBatch
) -> None:
    batch, _ = scored
    features, pid, ts = inputs(batch, 2)
    tables = [("run-a", audited.table, audited.manifest)]
    later = ts + pd.Timedelta(microseconds=1)
    assert find_record(features, pid, later, tables).status == "inputs_differ"
    fewer = {k: v for k, v in features.items() if k != "loan_length"}
    assert find_record(fewer, pid, ts, tables).status == "inputs_differ"
    missing = find_record(features, "no-such-id", ts, tables)
    assert missing.status == "not_found"
    assert missing.candidates == ()
    assert "not in any audit table" in missing.describe()


def test_inputs_read_back_with_other_types_still_match(
    scored: tuple[pd.DataFrame, pd.DataFrame], audited: AuditBatch
) -> None:
    batch, _ = scored
    features, pid, ts = inputs(batch, 9)
    retyped = {**features, "loan_length": float(features["loan_length"])}
    as_text = ts.isoformat()  # a naive string is UTC, like the naive timestamp it came from
    assert find_record(retyped, str(pid), as_text, {"t": audited.table}).recorded


def test_the_same_id_scored_by_two_models_is_attributed_to_the_right_one(
    scored: tuple[pd.DataFrame, pd.DataFrame], audited: AuditBatch
) -> None:
    batch, predictions = scored
    challenger = ModelIdentity("car-loan-default", "4", "c4" * 32)
    rescored = audit_of(
        batch,
        predictions.assign(proba=predictions["proba"] / 2),
        model=challenger,
        batch_id="wf-uid-2/score",
    )
    features, pid, ts = inputs(batch, 0)
    match = find_record(features, pid, ts, {"run-a": audited.table, "run-b": rescored.table})
    assert match.recorded
    assert [c.source for c in match.candidates] == ["run-a", "run-b"]
    changed = find_record(features, pid, ts, [("run-b", rescored.table), ("run-a", audited.table)])
    assert changed.location is not None
    assert changed.location.source == "run-b"  # both match: the first source given wins
    only_b = find_record(features, pid, ts, [("run-b", rescored.table)])
    assert only_b.location is not None
    assert only_b.location.model_version == "4"
    assert only_b.prediction["proba"] == predictions["proba"].iloc[0] / 2


def test_a_scored_file_is_verified_row_by_row(
    scored: tuple[pd.DataFrame, pd.DataFrame], audited: AuditBatch, tmp_path: Path
) -> None:
    batch, predictions = scored
    scored_file = pd.concat([batch, predictions], axis=1)
    path = tmp_path / "scored.parquet"
    scored_file.to_parquet(path)
    df = pd.read_parquet(path)
    df.loc[3, "car_value"] += 0.001
    df.loc[5, "proba"] = 0.999
    df.loc[8, "id"] = 424242
    args: dict[str, Any] = {
        "feature_columns": FEATURES,
        "id_column": "id",
        "timestamp_column": "timestamp",
    }
    report = verify_scored_file(
        df, {"run-a": audited.table}, **args, prediction_columns=["proba", "label"]
    )
    assert not report.ok
    assert report.counts == {
        "recorded": 9,
        "prediction_differs": 1,
        "inputs_differ": 1,
        "not_found": 1,
    }
    status = report.results.set_index("prediction_id")["status"]
    assert status["1003"] == "inputs_differ"
    assert status["1005"] == "prediction_differs"
    assert status["424242"] == "not_found"
    assert report.results.loc[0, ["source", "seq", "model_version"]].tolist() == ["run-a", 0, "3"]
    assert report.summary() == (
        "12 rows: 9 recorded, 1 prediction_differs, 1 inputs_differ, 1 not_found"
    )
    untouched = verify_scored_file(pd.read_parquet(path), {"run-a": audited.table}, **args)
    assert untouched.ok


def test_bad_lookups_raise_naming_the_problem(audited: AuditBatch) -> None:
    with pytest.raises(AuditError, match=r"audit table run-a: column\(s\) \['record_hash'\]"):
        find_record(
            {"a": 1}, "1", "2018-01-01", {"run-a": audited.table.drop(columns="record_hash")}
        )
    with pytest.raises(AuditError, match="tables\\[0\\]: expected \\(source label, audit table"):
        find_record({"a": 1}, "1", "2018-01-01", [audited.table])
    with pytest.raises(AuditError, match="event_timestamp: 'yesterday' is not a timestamp"):
        find_record({"a": 1}, "1", "yesterday", {"run-a": audited.table})
    with pytest.raises(AuditError, match="scored file: column 'ts' not found"):
        verify_scored_file(
            pd.DataFrame({"id": [1]}),
            {},
            feature_columns=["x"],
            id_column="id",
            timestamp_column="ts",
        )
