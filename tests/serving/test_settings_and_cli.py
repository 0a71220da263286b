"""The serving section of the settings, and `glassbox serve` refusing to start with a reason."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from glassbox.config import load_settings
from glassbox.errors import ConfigError
from glassbox.serving import ServingError, ServingSettings, parse_model_uri

REPO = Path(__file__).resolve().parents[2]
GLASSBOX = str(Path(sys.executable).parent / "glassbox")
CONFIG = REPO / "mlruns_config" / "glassbox.yaml"


def test_the_committed_section_lists_the_defaults() -> None:
    assert load_settings(CONFIG, environ={}).serving == ServingSettings()
    assert not ServingSettings().faults.enabled


def test_env_overrides_reach_nested_serving_settings() -> None:
    settings = load_settings(
        CONFIG,
        environ={
            "GLASSBOX_SERVING__BATCHING__MAX_ROWS": "64",
            "GLASSBOX_SERVING__FAULTS__LATENCY_MS": "150",
            "GLASSBOX_SERVING__AUDIT__DIR": "/var/lib/glassbox/audit",
        },
    ).serving
    assert settings.batching.max_rows == 64
    assert settings.faults.enabled and settings.faults.latency_ms == 150
    assert str(settings.audit.dir) == "/var/lib/glassbox/audit"


@pytest.mark.parametrize(
    ("yaml_text", "field"),
    [
        ("serving:\n  batching:\n    max_rows: 0\n", r"serving\.batching\.max_rows"),
        ("serving:\n  slo:\n    error_rate_warning: 0.2\n", r"serving\.slo"),
        ("serving:\n  port: 70000\n", r"serving\.port"),
        ("serving:\n  faults:\n    error_rate: 2\n", r"serving\.faults\.error_rate"),
        ("serving:\n  batchin: {}\n", r"serving\.batchin"),
    ],
)
def test_a_bad_serving_setting_names_its_key(tmp_path: Path, yaml_text: str, field: str) -> None:
    bad = tmp_path / "g.yaml"
    bad.write_text(yaml_text)
    with pytest.raises(ConfigError, match=field):
        load_settings(bad, environ={})


def test_model_uris_name_an_alias_or_a_version() -> None:
    assert parse_model_uri("models:/car-loan-default@champion") == (
        "car-loan-default",
        "champion",
        None,
    )
    assert parse_model_uri("models:/car-loan-default/3") == ("car-loan-default", None, "3")
    with pytest.raises(ServingError, match="expected models:/NAME@ALIAS"):
        parse_model_uri("runs:/abc/model")


def _serve(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "GLASSBOX_"))}
    return subprocess.run(
        [GLASSBOX, "serve", "--port", "0", *args],
        cwd=REPO,
        env=env | {"GLASSBOX_HOME": str(home)},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_serve_without_a_champion_says_so_in_one_line(tmp_path: Path) -> None:
    done = _serve(tmp_path / "empty")
    assert done.returncode == 1
    assert "has no alias @champion" in done.stderr and "just pipeline" in done.stderr
    assert "Traceback" not in done.stderr
    done = _serve(tmp_path / "empty", "--model", "car-loan-default")
    assert done.returncode == 1 and "expected models:/NAME@ALIAS" in done.stderr
