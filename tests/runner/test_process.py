"""The subprocess layer: logs, output capture, deadlines, stopping every process."""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path

import pytest

from glassbox.runner._process import ProcessRegistry, run_process

pytestmark = pytest.mark.timeout(60)


def _run(tmp_path: Path, code: str, **kwargs: object):
    return run_process(
        [sys.executable, "-c", code],
        env=dict(os.environ),
        cwd=tmp_path,
        log_path=tmp_path / "logs" / "t.log",
        header="==> header\n",
        registry=kwargs.pop("registry", ProcessRegistry()),  # type: ignore[arg-type]
        timeout=kwargs.pop("timeout", None),  # type: ignore[arg-type]
        **kwargs,  # type: ignore[arg-type]
    )


def test_both_streams_go_to_the_log_and_stdout_is_kept(tmp_path: Path) -> None:
    outcome = _run(
        tmp_path,
        "import sys\nprint('out 1', flush=True)\n"
        "print('err 1', file=sys.stderr, flush=True)\nprint('out 2')",
    )

    assert outcome.exit_code == 0
    assert outcome.stdout == "out 1\nout 2\n"
    log = (tmp_path / "logs" / "t.log").read_text()
    assert log.startswith("==> header\n")
    assert {"out 1", "err 1", "out 2"} <= set(log.splitlines())
    assert set(outcome.tail) == {"out 1", "err 1", "out 2"}


def test_tail_keeps_only_the_last_lines(tmp_path: Path) -> None:
    outcome = _run(tmp_path, "for i in range(100): print(i)", tail_lines=5)

    assert outcome.tail == ("95", "96", "97", "98", "99")


def test_exit_code_and_a_command_that_cannot_start(tmp_path: Path) -> None:
    assert _run(tmp_path, "raise SystemExit(7)").exit_code == 7
    missing = run_process(
        ["glassbox-no-such-command"],
        env=dict(os.environ),
        cwd=tmp_path,
        log_path=tmp_path / "m.log",
        header="",
        timeout=None,
        registry=ProcessRegistry(),
    )
    assert missing.exit_code is None
    assert missing.error is not None
    assert missing.error.startswith("cannot start 'glassbox-no-such-command'")


def test_timeout_stops_the_whole_process_group(tmp_path: Path) -> None:
    marker = tmp_path / "grandchild-finished"
    grandchild = tmp_path / "grandchild.py"
    grandchild.write_text(f"import time\ntime.sleep(1.5)\nopen({str(marker)!r}, 'w').close()\n")
    code = (
        "import subprocess, sys, time\n"
        f"subprocess.Popen([sys.executable, {str(grandchild)!r}])\n"
        "time.sleep(60)"
    )
    started = time.monotonic()
    outcome = _run(tmp_path, code, timeout=0.5)

    assert outcome.timed_out
    assert outcome.exit_code == 143
    assert time.monotonic() - started < 10
    time.sleep(2.0)
    assert not marker.exists()  # the grandchild was killed with its group


def test_stop_all_terminates_running_processes(tmp_path: Path) -> None:
    registry = ProcessRegistry()
    outcomes = []
    worker = threading.Thread(
        target=lambda: outcomes.append(
            _run(tmp_path, "import time; time.sleep(60)", registry=registry)
        )
    )
    worker.start()
    deadline = time.monotonic() + 10
    while not registry._procs and time.monotonic() < deadline:
        time.sleep(0.02)
    registry.stop_all()
    worker.join(timeout=10)

    assert outcomes
    assert outcomes[0].exit_code == 143
