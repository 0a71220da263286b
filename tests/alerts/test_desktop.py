"""Desktop channel: plyer when a desktop exists, the terminal otherwise (as on a server)."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from glassbox.alerts import DesktopChannel

from .conftest import make_alert

REPO = Path(__file__).resolve().parents[2]

SCRIPT = textwrap.dedent(
    """
    import glassbox
    from glassbox.alerts import Alert, DesktopChannel
    alert = Alert(model="car-loan-default", check="data_drift", feature="car_value",
                  severity="critical", summary="PSI 0.31 above 0.2")
    DesktopChannel().deliver("trigger", alert, runbook_base="docs/runbook.md")
    """
)


def _run(tmp_path: Path, *, display: bool, notify_send: bool) -> subprocess.CompletedProcess[str]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    if notify_send:  # a stand-in for the desktop's notify-send: records what it was asked
        fake = bin_dir / "notify-send"
        fake.write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" > "{tmp_path}/notified.txt"\n')
        fake.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env["PATH"] = f"{bin_dir}:/usr/bin:/bin"
    if display:
        env["DISPLAY"] = ":99"
    return subprocess.run(
        [sys.executable, "-c", SCRIPT],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )


def test_with_a_desktop_the_notification_goes_through_plyer(tmp_path: Path) -> None:
    result = _run(tmp_path, display=True, notify_send=True)
    shown = (tmp_path / "notified.txt").read_text().splitlines()
    assert shown[:2] == ["CRITICAL car-loan-default: data_drift on car_value", "PSI 0.31 above 0.2"]
    assert "[Glassbox alert]" not in result.stderr


def test_plyer_without_a_backend_falls_back_to_the_terminal(tmp_path: Path) -> None:
    result = _run(tmp_path, display=True, notify_send=False)
    assert "[Glassbox alert] CRITICAL car-loan-default: data_drift on car_value" in result.stderr
    assert "Runbook: docs/runbook.md#data-drift" in result.stderr
    assert "UserWarning" not in result.stderr  # plyer's backend warnings are kept quiet


def test_without_a_display_it_prints_without_trying_plyer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    stream = io.StringIO()
    DesktopChannel(stream=stream).deliver("resolve", make_alert("none"), runbook_base="r.md")
    assert stream.getvalue().startswith("[Glassbox alert] RECOVERED car-loan-default")
