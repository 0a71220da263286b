"""verify_chain: every kind of tampering is reported at the record where it happened."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from glassbox.audit import AuditBatch, AuditError, AuditManifest, ChainReport, verify_chain


def kinds(report: ChainReport) -> list[str]:
    return [p.kind for p in report.problems]


def test_an_untouched_table_verifies_also_after_a_parquet_round_trip(
    audited: AuditBatch, tmp_path: Path
) -> None:
    assert verify_chain(audited.table, audited.manifest).ok
    path = tmp_path / "audit_table.parquet"
    audited.table.to_parquet(path, index=False)
    manifest = AuditManifest.from_json(audited.manifest.to_json())
    report = verify_chain(pd.read_parquet(path), manifest.to_dict())
    assert report.ok, report.summary()
    assert report.summary() == "batch wf-uid-1/score: 12 records, chain intact"


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("prediction", '{"label":1,"proba":0.99}'),
        ("prediction_id", "9999"),
        ("record_hash", "0" * 64),
        ("event_timestamp", pd.Timestamp("2018-03-01", tz="UTC")),
    ],
)
def test_an_edited_record_is_reported_at_its_seq(
    audited: AuditBatch, column: str, value: object
) -> None:
    table = audited.table.copy()
    original_id = table.loc[5, "prediction_id"]
    table.loc[5, column] = value
    report = verify_chain(table, audited.manifest)
    assert not report.ok
    assert kinds(report) == ["edited"]
    first = report.first
    assert first is not None
    assert first.seq == 5
    assert first.prediction_id == (value if column == "prediction_id" else original_id)
    assert "seq 5" in first.message


def test_an_edited_chain_hash_is_one_problem_not_a_cascade(audited: AuditBatch) -> None:
    table = audited.table.copy()
    table.loc[3, "chain_hash"] = "f" * 64
    report = verify_chain(table, audited.manifest)
    assert [(p.kind, p.seq) for p in report.problems] == [("edited", 3)]


def test_a_dropped_record_is_reported_as_the_missing_seq(audited: AuditBatch) -> None:
    table = audited.table.drop(index=7)
    report = verify_chain(table, audited.manifest)
    assert kinds(report) == ["count", "dropped"]
    dropped = report.problems[1]
    assert dropped.seq == 7
    assert "between '1006' and '1008'" in dropped.message
    assert "table has 11 records, manifest says 12" in report.problems[0].message


def test_dropping_the_last_record_breaks_count_and_root(audited: AuditBatch) -> None:
    report = verify_chain(audited.table.iloc[:-1], audited.manifest)
    assert kinds(report) == ["count", "dropped", "root"]
    assert report.problems[1].seq == 11


def test_a_dropped_record_with_renumbered_seqs_breaks_the_chain_there(
    audited: AuditBatch,
) -> None:
    table = audited.table.drop(index=4).reset_index(drop=True)
    table["seq"] = range(len(table))
    report = verify_chain(table, audited.manifest)
    assert kinds(report) == ["count", "edited", "dropped"]
    edited = report.problems[1]
    assert report.first == edited
    assert (edited.seq, edited.prediction_id) == (4, "1005")
    assert "nor do the 6 records after it up to seq 10" in edited.message


def test_swapped_records_are_reported_as_reordered_where_the_order_breaks(
    audited: AuditBatch,
) -> None:
    table = audited.table.iloc[[0, 1, 2, 6, 4, 5, 3, 7, 8, 9, 10, 11]]
    report = verify_chain(table, audited.manifest)
    assert kinds(report) == ["reordered", "reordered"]
    assert [(p.seq, p.prediction_id) for p in report.problems] == [(3, "1003"), (4, "1004")]
    assert "seq 4 (prediction_id '1004') is stored after seq 6" in report.problems[1].message


def test_swapped_records_with_swapped_seqs_break_the_chain_where_they_start(
    audited: AuditBatch,
) -> None:
    table = audited.table.copy()
    swapped = table.iloc[[0, 2, 1, *range(3, 12)]].reset_index(drop=True)
    swapped["seq"] = range(12)
    report = verify_chain(swapped, audited.manifest)
    assert [(p.kind, p.seq) for p in report.problems] == [("edited", 1)]
    assert "up to seq 3" in report.problems[0].message


def test_inserted_duplicate_and_foreign_records_are_reported(audited: AuditBatch) -> None:
    table = pd.concat([audited.table, audited.table.iloc[[2]]], ignore_index=True)
    assert kinds(verify_chain(table, audited.manifest))[:2] == ["count", "reordered"]
    assert "duplicated" in kinds(verify_chain(table, audited.manifest))
    foreign = pd.concat([audited.table, audited.table.iloc[[2]].assign(seq=40)])
    assert "unexpected" in kinds(verify_chain(foreign, audited.manifest))


def test_edited_manifest_or_model_columns_are_reported(audited: AuditBatch) -> None:
    manifest = audited.manifest.to_dict()
    relabelled = {**manifest, "model": {**manifest["model"], "version": "4"}}
    report = verify_chain(audited.table, relabelled)
    assert "genesis" in kinds(report)
    assert "model" in kinds(report)
    rooted = {**manifest, "root": "a" * 64}
    assert kinds(verify_chain(audited.table, rooted)) == ["root"]
    table = audited.table.copy()
    table.loc[2, "model_version"] = "2"
    report = verify_chain(table, audited.manifest)
    assert [(p.kind, p.seq) for p in report.problems] == [("model", 2)]


def test_extra_columns_are_a_schema_problem(audited: AuditBatch) -> None:
    report = verify_chain(audited.table.assign(car_value=1.0), audited.manifest)
    assert kinds(report) == ["schema"]


def test_unusable_inputs_raise_naming_what_is_wrong(audited: AuditBatch) -> None:
    with pytest.raises(AuditError, match=r"column\(s\) \['chain_hash'\] missing"):
        verify_chain(audited.table.drop(columns="chain_hash"), audited.manifest)
    bad = {**audited.manifest.to_dict(), "count": -1}
    with pytest.raises(AuditError, match="field 'count' must be an integer >= 0, got -1"):
        verify_chain(audited.table, bad)
    future = {**audited.manifest.to_dict(), "encoding_version": 2}
    with pytest.raises(AuditError, match="field 'encoding_version' is 2"):
        verify_chain(audited.table, future)
    with pytest.raises(AuditError, match=r"manifest\.json: not valid JSON"):
        AuditManifest.from_json("{", "manifest.json")


def test_many_broken_links_are_capped_but_counted(audited: AuditBatch) -> None:
    table = audited.table.copy()
    table.loc[::2, "prediction"] = '{"label":0,"proba":0.5}'
    report = verify_chain(table, audited.manifest, max_problems=3)
    assert [p.seq for p in report.problems] == [0, 2, 4]
    assert report.problem_count == 6
    assert "... and 3 more" in report.summary()
