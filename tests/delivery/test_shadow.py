"""The shadow-log record and its reader: round trips, and bad records named by file, line and
field."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest

from glassbox.delivery import (
    AnalysisInputError,
    ShadowRecord,
    SideOutcome,
    read_shadow_log,
    write_shadow_log,
)
from glassbox.delivery._shadow import FLAT_COLUMNS


def record(index: int, champion: str = "1", challenger: str = "2", **sides: object) -> ShadowRecord:
    failed = {"error": "model_error", "latency_seconds": 0.002}
    scored = {"proba": 0.2 + index % 7 / 10, "label": index % 2, "latency_seconds": 0.008}
    return ShadowRecord(
        request_id=f"req-{index // 2}",
        id=str(1000 + index),
        timestamp=datetime(2026, 1, 1, 12, 0, index % 60, tzinfo=UTC),
        model="car-loan-default",
        champion=SideOutcome(version=champion, **scored),
        challenger=SideOutcome(version=challenger, **(failed if sides.get("fail") else scored)),
    )


def test_jsonl_and_parquet_round_trip_to_the_same_frame(tmp_path: Path) -> None:
    records = [record(i, fail=i % 5 == 0) for i in range(20)]
    jsonl = write_shadow_log(records, tmp_path / "a" / "shadow.jsonl")
    parquet = write_shadow_log(records, tmp_path / "b" / "shadow.parquet")
    from_jsonl, from_parquet = read_shadow_log([jsonl]), read_shadow_log([parquet])
    assert list(from_jsonl.frame.columns) == list(FLAT_COLUMNS)
    pd.testing.assert_frame_equal(from_jsonl.frame, from_parquet.frame, check_dtype=False)
    assert len(from_jsonl) == 20
    assert from_jsonl.frame["challenger_error"].notna().sum() == 4
    assert from_jsonl.pairs() == {("1", "2"): 20}


def test_a_directory_is_read_recursively_including_gzipped_lines(tmp_path: Path) -> None:
    write_shadow_log([record(i) for i in range(3)], tmp_path / "day1" / "part.jsonl")
    with gzip.open(tmp_path / "day2.jsonl.gz", "wt", encoding="utf-8") as handle:
        handle.writelines(record(i).to_line() + "\n" for i in range(3, 5))
    (tmp_path / "notes.txt").write_text("ignored: not a shadow log")
    log = read_shadow_log([tmp_path])
    assert len(log) == 5
    assert len(log.files) == 2


def test_select_picks_the_commonest_pair_or_names_what_exists(tmp_path: Path) -> None:
    records = [record(i) for i in range(5)] + [record(i, "2", "3") for i in range(5, 7)]
    log = read_shadow_log([write_shadow_log(records, tmp_path / "s.jsonl")])
    assert len(log.select(None, None)) == 5
    assert len(log.select("2", "3")) == 2
    with pytest.raises(AnalysisInputError, match=r"no record of champion v1 against challenger v3"):
        log.select("1", "3")


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.pop("id"), r"s\.jsonl:2: field 'id': Field required"),
        (lambda d: d["champion"].update(proba=1.5),
         r":2: field 'champion\.proba': .*less than or equal to 1"),
        (lambda d: d["challenger"].pop("proba"),
         r":2: field 'challenger': a side without 'error' needs both 'proba' and 'label'"),
        (lambda d: d.update(schema_version=2), r":2: field 'schema_version': Input should be 1"),
        (lambda d: d.update(extra=1), r":2: field 'extra': Extra inputs are not permitted"),
        (lambda d: d.update(timestamp="yesterday"), r":2: field 'timestamp'"),
        (lambda d: d["champion"].update(latency_seconds=-1),
         r":2: field 'champion\.latency_seconds'"),
    ],
)  # fmt: skip
def test_a_bad_record_names_file_line_and_field(
    tmp_path: Path, mutate: object, message: str
) -> None:
    good = json.loads(record(0).to_line())
    bad = json.loads(record(1).to_line())
    mutate(bad)  # type: ignore[operator]
    path = tmp_path / "s.jsonl"
    path.write_text(json.dumps(good) + "\n" + json.dumps(bad) + "\n")
    with pytest.raises(AnalysisInputError, match=message):
        read_shadow_log([path])


def test_unreadable_inputs_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(AnalysisInputError, match="no such file or directory"):
        read_shadow_log([tmp_path / "missing.jsonl"])
    (tmp_path / "log.csv").write_text("a,b\n")
    with pytest.raises(AnalysisInputError, match=r"expected a shadow log \(.jsonl"):
        read_shadow_log([tmp_path / "log.csv"])
    (tmp_path / "empty").mkdir()
    with pytest.raises(AnalysisInputError, match="no shadow log file"):
        read_shadow_log([tmp_path / "empty"])
    (tmp_path / "broken.jsonl").write_text('{"schema_version": 1, "request_id"\n')
    with pytest.raises(AnalysisInputError, match=r"broken\.jsonl:1: field 'record': .*JSON"):
        read_shadow_log([tmp_path / "broken.jsonl"])
    frame = pd.DataFrame({"id": ["1"], "request_id": ["r"]})
    frame.to_parquet(tmp_path / "thin.parquet")
    with pytest.raises(
        AnalysisInputError, match=r"thin\.parquet: missing column\(s\) schema_version"
    ):
        read_shadow_log([tmp_path / "thin.parquet"])


def test_parquet_rows_are_validated_like_lines(tmp_path: Path) -> None:
    frame = pd.DataFrame([record(i).flat() for i in range(3)])
    frame.loc[2, "challenger_proba"] = -0.1
    frame.to_parquet(tmp_path / "bad.parquet")
    with pytest.raises(AnalysisInputError, match=r"bad\.parquet: row 3: field 'challenger\.proba'"):
        read_shadow_log([tmp_path / "bad.parquet"])
