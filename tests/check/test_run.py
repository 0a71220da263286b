"""``run_monitor``: files in, ``monitor.json`` out (the command without its argument parsing)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from glassbox.check import CheckError, MonitorOptions, run_monitor
from glassbox.errors import GlassboxError

from ._data import features, write

OPTIONS = MonitorOptions.create(report=False)


def test_monitor_json_is_written_readable_by_others(tmp_path: Path) -> None:
    reference = write(features(1_000, seed=1), tmp_path / "r.csv")
    current = write(features(1_000, seed=2), tmp_path / "c.parquet")

    report = run_monitor(reference, current, tmp_path / "deep" / "out", OPTIONS)

    assert report.json_path == tmp_path / "deep" / "out" / "monitor.json"
    written = json.loads(report.json_path.read_text())
    assert written["features"].keys() == report.document["features"].keys()
    assert written["features"]["income"]["statistics"]["chi2_statistic"] is None  # NaN -> null
    umask = os.umask(0)
    os.umask(umask)
    assert report.json_path.stat().st_mode & 0o777 == 0o666 & ~umask
    assert [p.name for p in report.json_path.parent.iterdir()] == ["monitor.json"]
    assert report.document["timings"]["read"] > 0
    assert report.document["reference"] == str(reference)


def test_a_failed_run_leaves_no_earlier_result_behind(tmp_path: Path) -> None:
    reference = write(features(1_000, seed=1), tmp_path / "r.csv")
    out = tmp_path / "out"
    run_monitor(reference, reference, out, OPTIONS)
    assert (out / "monitor.json").is_file()

    with pytest.raises(GlassboxError, match=r"missing\.csv: file not found"):
        run_monitor(reference, tmp_path / "missing.csv", out, OPTIONS)

    assert not (out / "monitor.json").exists()


def test_out_must_be_a_directory(tmp_path: Path) -> None:
    reference = write(features(100, seed=1), tmp_path / "r.csv")

    with pytest.raises(CheckError, match=r"^--out .*r\.csv: exists and is not a directory$"):
        run_monitor(reference, reference, reference, OPTIONS)
