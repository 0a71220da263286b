"""The MLflow UI tells the story without the CLI: each step run's description (the run note)
says what it consumed and produced, with links to the producing runs, the model version and
the audit manifest. Checked as recorded, and (e2e) rendered by the real MLflow UI in headless
Chromium."""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration._pipeline import GLASSBOX, REPO, PipelineRun, env_for, step_runs

pytestmark = pytest.mark.slow
NOTE = "mlflow.note.content"


def test_every_step_describes_its_inputs_outputs_model_and_audit_with_links(
    trained: PipelineRun,
) -> None:
    steps = step_runs(trained)
    exp = steps["train"].info.experiment_id
    for run in steps.values():
        note = run.data.tags[NOTE]
        assert note.startswith(f"**{run.data.tags['glassbox.step']}** step of the [pipeline run]")
        assert f"commit `{run.data.tags['mlflow.source.git.commit'][:12]}`" in note
    train = steps["train"].data.tags[NOTE]
    transform = steps["transform"].info.run_id
    assert (
        f"consumed dataset `features-train` (digest `{_digest(steps['train'], 'features-train')}`"
        in train
    )
    assert f"[transform run {transform[:8]}](#/experiments/{exp}/runs/{transform})" in train
    score = steps["score"].data.tags[NOTE]
    version = steps["score"].data.tags["glassbox.model.version"]
    assert f"(#/models/car-loan-default/versions/{version})" in score
    manifest = (
        f"#/experiments/{exp}/runs/{steps['score'].info.run_id}/artifacts/audit/audit_manifest.json"
    )
    assert f"[audit manifest]({manifest})" in score
    assert "produced dataset `predictions`" in score
    assert "promotion gate: **passed**" in steps["evaluate"].data.tags[NOTE]


def _digest(run: object, name: str) -> str:
    entry = next(d for d in run.inputs.dataset_inputs if d.dataset.name == name)  # type: ignore[attr-defined]
    return str(entry.dataset.digest)[:12]


@pytest.fixture
def ui(trained: PipelineRun) -> Iterator[str]:
    """`glassbox ui` (the real `mlflow ui` process) on the pipeline's store, on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [GLASSBOX, "ui", "--port", str(port)], cwd=REPO, env=env_for(trained.home),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(url, timeout=2) as page:
                    if page.status == 200:
                        break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail("the MLflow UI did not answer within 120 s")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def chromium(tmp: Path, *args: str) -> str:
    """Headless Chromium with a fresh profile and no background traffic."""
    binary = shutil.which("chromium")
    assert binary, "chromium is not installed: apt-get install -y chromium"
    cmd = [
        binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
        "--no-first-run", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", f"--user-data-dir={tmp / 'profile'}", "--virtual-time-budget=8000",
        *args,
    ]  # fmt: skip
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=180, check=True)
    return out.stdout


@pytest.mark.e2e
def test_the_mlflow_ui_renders_the_description_with_working_links_in_chromium(
    trained: PipelineRun, ui: str, tmp_path: Path
) -> None:
    steps = step_runs(trained)
    score = steps["score"]
    exp = score.info.experiment_id
    page = f"{ui}/#/experiments/{exp}/runs/{score.info.run_id}"
    dom = chromium(tmp_path, "--dump-dom", page)
    match = re.search(r'data-testid="note-editor-preview-content">(.*?)</div>', dom, re.S)
    assert match, "no rendered run description on the run page"
    shown = match.group(1)
    extract = steps["extract"].info.run_id
    assert "consumed dataset <code>raw-production</code>" in shown
    assert f'href="#/experiments/{exp}/runs/{extract}">extract run {extract[:8]}</a>' in shown
    version = score.data.tags["glassbox.model.version"]
    assert f'href="#/models/car-loan-default/versions/{version}"' in shown
    manifest_link = re.search(r'href="(#/[^"]*audit_manifest\.json)"', shown)
    assert manifest_link is not None
    manifest = chromium(tmp_path, "--dump-dom", f"{ui}/{manifest_link.group(1)}")
    assert "glassbox.audit.manifest/1" in manifest  # the link opens the manifest itself
    model = chromium(tmp_path, "--dump-dom", f"{ui}/#/models/car-loan-default/versions/{version}")
    assert f"Version {version}" in model
    shot = tmp_path / "score-run.png"
    chromium(tmp_path, "--window-size=1400,1800", f"--screenshot={shot}", page)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert shot.stat().st_size > 50_000  # a rendered page, not a blank one
