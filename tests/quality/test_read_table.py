"""read_table: CSV/Parquet in, clear errors naming the file for anything else."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from glassbox.errors import DataValidationError
from glassbox.quality import DataContract, read_table, validate_batch

from ._frames import loans


@pytest.mark.parametrize("name", ["batch.csv", "batch.csv.gz", "batch.parquet", "batch.pq"])
def test_reads_csv_and_parquet_back_unchanged(tmp_path: Path, name: str) -> None:
    frame = loans(200, seed=5)
    path = tmp_path / name
    if ".csv" in name:
        frame.to_csv(path, index=False)
    else:
        frame.to_parquet(path, index=False)
    back = read_table(path)
    pd.testing.assert_frame_equal(back, frame, check_dtype=False)
    assert back["repaid_loan_on_prev_car"].dtype == bool
    assert str(read_table(str(path)).shape) == "(200, 8)"


def test_gzip_csv_is_really_decompressed(tmp_path: Path) -> None:
    path = tmp_path / "tiny.csv.gz"
    path.write_bytes(gzip.compress(b"id,x\n1,2.5\n2,3.5\n"))
    assert read_table(path)["x"].tolist() == [2.5, 3.5]


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.csv"
    with pytest.raises(DataValidationError, match=rf"^read: {path}: file not found$"):
        read_table(path)


@pytest.mark.parametrize(
    ("name", "suffix"),
    [("batch.xlsx", ".xlsx"), ("batch", "(none)"), ("batch.json.gz", ".json.gz")],
)
def test_unsupported_extension_names_file_and_formats(
    tmp_path: Path, name: str, suffix: str
) -> None:
    path = tmp_path / name
    path.write_text("id\n1\n")
    with pytest.raises(DataValidationError) as caught:
        read_table(path)
    message = str(caught.value)
    assert message.startswith(f"read: {path}: unsupported file type {suffix!r} (expected one of ")
    assert ".csv" in message
    assert ".parquet" in message


def test_directory_is_not_a_table(tmp_path: Path) -> None:
    path = tmp_path / "looks_like.csv"
    path.mkdir()
    with pytest.raises(DataValidationError, match=r"looks_like\.csv: not a regular file"):
        read_table(path)


def test_empty_csv_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    with pytest.raises(
        DataValidationError, match=r"empty\.csv: empty file \(expected a CSV header"
    ):
        read_table(path)


def test_malformed_csv(tmp_path: Path) -> None:
    path = tmp_path / "ragged.csv"
    path.write_text("a,b\n1,2\n3,4,5,6\n")
    with pytest.raises(DataValidationError, match=r"ragged\.csv: unreadable CSV \(ParserError: "):
        read_table(path)


def test_non_utf8_csv(tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes("salary\n60K+ €\nna\xefve\n".encode("cp1252"))
    with pytest.raises(DataValidationError, match=r"latin1\.csv: not UTF-8 text at byte \d+"):
        read_table(path)


def test_corrupt_and_truncated_parquet(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.parquet"
    garbage.write_bytes(np.random.default_rng(0).bytes(4096))
    with pytest.raises(DataValidationError, match=r"garbage\.parquet: not a readable Parquet file"):
        read_table(garbage)
    good = tmp_path / "good.parquet"
    loans(500, seed=6).to_parquet(good)
    truncated = tmp_path / "truncated.parquet"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(DataValidationError, match=r"truncated\.parquet: not a readable Parquet"):
        read_table(truncated)
    text = tmp_path / "csv_in_disguise.parquet"
    text.write_text("id,x\n1,2\n")
    with pytest.raises(DataValidationError, match=r"csv_in_disguise\.parquet: not a readable"):
        read_table(text)


def test_header_only_csv_reads_as_empty_and_fails_validation(
    tmp_path: Path, contract: DataContract
) -> None:
    path = tmp_path / "prod.csv"
    loans(5, seed=7).iloc[0:0].to_csv(path, index=False)
    frame = read_table(path)
    assert len(frame) == 0
    with pytest.raises(
        DataValidationError, match=rf"^validate: {path}: empty table: no rows \(expected at"
    ):
        validate_batch(frame, contract, source=str(path))


def test_a_bad_value_in_a_csv_file_is_reported_with_file_column_and_row(
    tmp_path: Path, contract: DataContract
) -> None:
    """The whole path a user hits: a CSV with one bad cell, read and validated."""
    frame = loans(40, seed=8).astype({"car_value": object})
    frame.loc[17, "car_value"] = "abc"
    path = tmp_path / "data" / "prod.csv"
    path.parent.mkdir()
    frame.to_csv(path, index=False)
    with pytest.raises(DataValidationError) as caught:
        validate_batch(read_table(path), contract, source=str(path))
    assert str(caught.value) == (
        f"validate: {path}: column 'car_value': expected numeric (float64), got object "
        "(first bad value 'abc' at row 17)"
    )
