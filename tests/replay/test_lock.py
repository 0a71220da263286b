"""The installed distributions against a lock's pins (environment markers honoured)."""

from __future__ import annotations

from importlib.metadata import version
from pathlib import Path

from glassbox.replay._lock import differences, pins


def test_pins_that_apply_here_are_compared_with_what_is_installed(tmp_path: Path) -> None:
    lock = tmp_path / "requirements.lock"
    lock.write_text(
        "# a lock\n"
        f"numpy=={version('numpy')} ; python_full_version < '3.99' \\\n"
        "    --hash=sha256:00\n"
        "pandas==0.0.1 \\\n"
        "    --hash=sha256:11\n"
        "never-here==1.0 ; sys_platform == 'never' \\\n"
        "Not_Installed_Anywhere==2.0\n"
    )
    assert pins(lock) == {
        "numpy": version("numpy"),
        "pandas": "0.0.1",
        "not-installed-anywhere": "2.0",
    }
    assert differences(lock) == [
        "not-installed-anywhere: locked 2.0, installed not installed",
        f"pandas: locked 0.0.1, installed {version('pandas')}",
    ]


def test_the_project_lock_matches_this_environment() -> None:
    root = Path(__file__).resolve().parents[2]
    assert differences(root / "requirements.lock") == []
