"""The background process: heavy work (segment uploads, live drift) runs in a child process
with its own GIL, answers like a local call, comes back after it dies and never outlives the
server."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from glassbox.serving import DriftWindowSettings
from glassbox.serving._drift_window import DriftWindow
from glassbox.serving._offload import Offload, OffloadError
from tests._otlp import received_spans

from ._toy import loans, served


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie (exited, not yet reaped by its parent) is gone for our purpose
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"


def _wait_gone(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not _alive(pid):
            return True
        time.sleep(0.1)
    return not _alive(pid)


def test_a_call_runs_in_another_process_and_its_errors_come_back() -> None:
    offload = Offload()
    try:
        child = offload.call(os.getpid)
        assert child != os.getpid() and child == offload.pid
        assert offload.call(sorted, [3, 1, 2]) == [1, 2, 3]
        with pytest.raises(FileNotFoundError, match="no-such-file"):
            offload.call(Path.read_text, Path("/nonexistent/no-such-file"))
        assert offload.call(os.getpid) == child  # one helper serves every call
    finally:
        offload.close()
    assert _wait_gone(child, 10)
    with pytest.raises(OffloadError, match="closed"):
        offload.call(os.getpid)


def test_a_killed_helper_is_replaced_by_the_next_call() -> None:
    offload = Offload()
    try:
        first = offload.call(os.getpid)
        os.kill(first, signal.SIGKILL)
        assert _wait_gone(first, 10)
        second = offload.call(os.getpid)
        assert second != first and offload.starts == 2
    finally:
        offload.close()


def test_the_helper_ends_when_the_server_is_killed(tmp_path: Path) -> None:
    script = textwrap.dedent(
        """
        import os, sys, time
        from glassbox.serving._offload import Offload
        offload = Offload()
        print(offload.call(os.getpid), flush=True)
        time.sleep(120)
        """
    )
    server = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, cwd=tmp_path
    )
    try:
        assert server.stdout is not None
        helper = int(server.stdout.readline())
        assert _alive(helper)
        # a session of its own: a signal to the server's process group does not reach it
        assert os.getsid(helper) != os.getsid(server.pid)
        server.kill()
        server.wait(10)
        assert _wait_gone(helper, 15), "the helper outlived the server"
    finally:
        if server.poll() is None:
            server.kill()


def test_live_drift_computed_in_the_helper_equals_the_local_computation() -> None:
    model = served()
    settings = DriftWindowSettings(window_rows=600, min_rows=500)
    offload = Offload()
    try:
        windows = [
            DriftWindow(model.profile, settings),
            DriftWindow(model.profile, settings, offload=offload),
        ]
        frame = loans(600, 7).assign(car_value=lambda f: f["car_value"] * 1.5)
        records = [
            {k: (v.item() if hasattr(v, "item") else v) for k, v in row.items()}
            for row in frame[list(model.features)].to_dict("records")
        ]
        columns = model.schema.validate(records, "w").columns
        proba = model.predict_proba(pd.DataFrame(columns))
        for window in windows:
            window.add(columns, proba)
        local, remote = (w.compute() for w in windows)
    finally:
        offload.close()
    assert remote.result is not None and local.result is not None
    assert remote.flagged() == local.flagged() == ["car_value"]
    for ours, theirs in zip(local.result.features, remote.result.features, strict=True):
        assert ours.name == theirs.name and ours.severity == theirs.severity
        assert np.isclose(ours.psi, theirs.psi, rtol=0, atol=0)


def test_spans_exported_from_the_helper_equal_the_sdks_own_export() -> None:
    from pytest_httpserver import HTTPServer

    from glassbox.serving._tracing import Tracing

    parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    attributes = {"glassbox.prediction_ids": ["a-0", "a-1"], "glassbox.batch_size": 2}
    found = {}
    for how in ("in-process", "helper"):
        receiver = HTTPServer(host="127.0.0.1", port=0)
        receiver.expect_request("/v1/traces", method="POST").respond_with_data(b"")
        receiver.start()
        offload = Offload() if how == "helper" else None
        try:
            environ = {"OTEL_EXPORTER_OTLP_ENDPOINT": receiver.url_for("/").rstrip("/")}
            os.environ["OTEL_EXPORTER_OTLP_ENDPOINT"] = environ["OTEL_EXPORTER_OTLP_ENDPOINT"]
            tracing = Tracing(environ, {"glassbox.serving.run_id": "r1"}, offload)
            ids = tracing.record(
                "POST /predict", (10, 20), {"traceparent": parent}, dict(attributes)
            )
            tracing.record("POST /predict", (30, 45), {}, dict(attributes), error="bad_json")
            tracing.shutdown()
        finally:
            os.environ.pop("OTEL_EXPORTER_OTLP_ENDPOINT", None)
            if offload is not None:
                offload.close()
            receiver.stop()
        spans = received_spans(receiver)
        assert len(spans) == 2
        found[how] = spans
        (child,) = [s for _, s in spans if s.span_id.hex() == ids[1]]
        assert child.trace_id.hex() == ids[0] == parent.split("-")[1]
        assert child.parent_span_id.hex() == parent.split("-")[2]
    for (res_a, a), (res_b, b) in zip(found["in-process"], found["helper"], strict=True):
        assert res_a == res_b and res_a["glassbox.serving.run_id"] == "r1"
        for span in (a, b):  # the ids differ from run to run; everything else is the same
            span.ClearField("trace_id"), span.ClearField("span_id")
        assert a == b
