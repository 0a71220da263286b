"""`just build`: a wheel from the committed tree, build backend pinned by build-constraints.txt,
byte-for-byte reproducible (two builds, one sha256)."""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def build(out: Path) -> Path:
    just = shutil.which("just") or str(Path(REPO, ".venv/bin/just"))
    proc = subprocess.run(
        [just, "build", str(out)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (wheel,) = out.glob("*.whl")
    assert hashlib.sha256(wheel.read_bytes()).hexdigest() in proc.stdout
    return wheel


@pytest.mark.slow
def test_two_builds_of_the_same_commit_are_the_same_wheel(tmp_path: Path) -> None:
    first, second = build(tmp_path / "a"), build(tmp_path / "b")
    assert first.read_bytes() == second.read_bytes()
    with zipfile.ZipFile(first) as wheel:
        names = wheel.namelist()
        generator = next(n for n in names if n.endswith(".dist-info/WHEEL"))
        built_with = wheel.read(generator).decode()
    assert {"glassbox/audit/_kernels.py", "steps/score.py", "pipelines/training.py"} <= set(names)
    pinned = re.search(r"^setuptools==(\S+)", (REPO / "build-constraints.txt").read_text(), re.M)
    assert pinned is not None
    assert f"Generator: setuptools ({pinned.group(1)})" in built_with
