"""``glassbox monitor`` as a user runs it: real files, a subprocess, exit codes and stderr."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from ._data import features, glassbox_monitor, write
from ._docs import documented_fields

SEVERITIES = {"none", "warning", "critical"}
TOP_LEVEL = {
    "version", "glassbox_version", "model", "reference", "current", "roles", "rows", "severity",
    "flagged_features", "flagged_outputs", "features", "predictions", "columns_only_in_reference",
    "columns_only_in_current", "quality", "performance", "concept_drift", "alerts", "findings",
    "drift", "evidently", "evidently_sample_rows", "notes", "timings",
}  # fmt: skip


def _strict_json(path: Path) -> dict[str, Any]:
    def reject(token: str) -> None:
        raise AssertionError(f"{path.name} holds {token}: not strict JSON")

    return dict(json.loads(path.read_text(), parse_constant=reject))


def test_drifted_columns_are_flagged_exactly_and_the_report_is_written(tmp_path: Path) -> None:
    reference = write(features(20_000, seed=1), tmp_path / "reference.csv")
    current = features(20_000, seed=2, shift_sd=0.5, shares=[0.1, 0.3, 0.6])
    current_path = write(current, tmp_path / "current.parquet")
    out = tmp_path / "out"

    run = glassbox_monitor(
        tmp_path, "--reference", reference, "--current", current_path, "--out", out,
        "--evidently-rows", "2000",
    )  # fmt: skip

    assert run.code == 0, run.stderr
    assert "Traceback" not in run.stderr
    doc = _strict_json(out / "monitor.json")
    assert doc["flagged_features"] == ["income", "segment"]
    assert sorted((a["check"], a["feature"]) for a in doc["alerts"]) == [
        ("data_drift", "income"),
        ("data_drift", "segment"),
    ]
    assert doc["features"]["income"]["severity"] == "critical"
    assert doc["features"]["income"]["statistics"]["current_mean"] == pytest.approx(55, abs=0.3)
    assert "2 of 6 feature(s) flagged (income, segment)" in run.stdout
    # The Evidently report: HTML for people, JSON snapshot, made from the bounded sample.
    html = out / "evidently_report.html"
    assert html.stat().st_size > 10_000
    assert "<html" in html.read_text(errors="replace")[:2000].lower()
    assert (out / "evidently_report.json").is_file()
    assert doc["evidently"]["html"] == "evidently_report.html"
    assert doc["evidently_sample_rows"] == 2000
    assert doc["evidently"]["reference_rows"] == doc["evidently"]["current_rows"] == 2000
    assert {"income", "segment"} <= set(doc["evidently"]["drifted_columns"])
    assert documented_fields("Evidently") == set(doc["evidently"]) | {"error"}
    # The shape monitor.json promises (docs/monitor.md).
    assert set(doc) == TOP_LEVEL
    assert doc["rows"] == {"reference": 20_000, "current": 20_000}
    assert doc["performance"] is None
    assert doc["concept_drift"] is False
    for name, entry in doc["features"].items():
        assert entry["severity"] in SEVERITIES, name
        assert entry["drift_severity"] in SEVERITIES, name
        assert entry["quality_severity"] in SEVERITIES, name
        assert entry["dtype"] == ("categorical" if name in {"segment", "channel"} else "numeric")
        assert entry["statistics"]["n_current"] == 20_000


def _bad_frames(tmp_path: Path) -> tuple[Path, Path]:
    """A numeric column with text in it, an all-NaN column, an unseen category."""
    reference = features(3_000, seed=3)
    current = features(3_000, seed=4)
    current["income"] = current["income"].astype(object)
    current.loc[[7, 8], "income"] = "n/a?"
    current["age"] = np.nan
    current.loc[:299, "channel"] = "phone"
    return write(reference, tmp_path / "ref.csv"), write(current, tmp_path / "cur.csv")


def test_data_problems_are_findings_naming_their_column_not_errors(tmp_path: Path) -> None:
    reference, current = _bad_frames(tmp_path)

    run = glassbox_monitor(
        tmp_path, "--reference", reference, "--current", current, "--out", tmp_path / "o",
        "--no-report",
    )  # fmt: skip

    assert run.code == 0, run.stderr
    assert "Traceback" not in run.stderr
    doc = _strict_json(tmp_path / "o" / "monitor.json")
    found = {(f["check"], f["column"]): f for f in doc["quality"]}
    assert found[("data_quality.schema", "income")]["severity"] == "critical"
    assert "'n/a?' at row 7" in found[("data_quality.schema", "income")]["message"]
    assert found[("data_quality.all_nan_column", "age")]["severity"] == "critical"
    assert found[("data_quality.unseen_categories", "channel")]["severity"] == "critical"
    assert "'phone'" in found[("data_quality.unseen_categories", "channel")]["message"]
    assert all(f["column"] in f["message"] for f in doc["quality"])
    assert {"income", "age", "channel"} <= set(doc["flagged_features"])
    # Drift still ran: on the parseable values of 'income', 'age' has nothing to compare.
    assert doc["features"]["income"]["statistics"]["n_current"] == 2_998
    assert doc["features"]["age"]["status"] == "no_data"
    # one alert per problem: the empty column is a quality alert, not also a drift alert
    assert [a["check"] for a in doc["alerts"] if a["feature"] == "age"] == [
        "data_quality.all_nan_column"
    ]
    assert doc["evidently"] is None
    assert not (tmp_path / "o" / "evidently_report.html").exists()


def _unusable(tmp_path: Path, case: str) -> list[str | Path]:
    good = write(features(200, seed=5), tmp_path / "good.csv")
    if case == "missing file":
        return [tmp_path / "nope.csv", good]
    if case == "corrupt parquet":
        broken = tmp_path / "broken.parquet"
        broken.write_bytes(b"PAR1 not really parquet")
        return [good, broken]
    if case == "no common columns":
        other = write(pd.DataFrame({"q": [1.0, 2.0]}), tmp_path / "other.csv")
        return [good, other]
    if case == "empty window":
        return [good, write(features(200, seed=5).head(0), tmp_path / "empty.csv")]
    if case == "unknown role column":
        return [good, good, "--target", "label"]
    if case == "bad option":
        return [good, good, "--evidently-rows", "0"]
    raise AssertionError(case)


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("missing file", r"read: .*nope\.csv: file not found"),
        ("corrupt parquet", r"read: .*broken\.parquet: not a readable Parquet file"),
        ("no common columns", r"no columns in common between reference .*good\.csv .*other\.csv"),
        ("empty window", r"current data .*empty\.csv: no rows"),
        ("unknown role column", r"--target 'label': no such column in the reference data"),
        ("bad option", r"--evidently-rows: .*greater than or equal to 100"),
    ],
)
def test_unusable_input_exits_2_with_one_line_and_no_traceback(
    tmp_path: Path, case: str, expected: str
) -> None:
    reference, current, *more = _unusable(tmp_path, case)

    run = glassbox_monitor(
        tmp_path, "--reference", reference, "--current", current, "--out", tmp_path / "o",
        "--no-report", *more,
    )  # fmt: skip

    assert run.code == 2
    assert "Traceback" not in run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1, run.stderr
    assert lines[0].startswith("error: ")
    assert re.search(expected, lines[0]), lines[0]
    assert not (tmp_path / "o" / "monitor.json").exists()
