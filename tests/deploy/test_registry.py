"""registry.yaml and server.yaml: consistent with glassbox.yaml, and bad files fail clearly."""

from __future__ import annotations

from pathlib import Path

import pytest

from glassbox.config import load_settings
from glassbox.errors import ConfigError
from glassbox.server import load_registry, load_server_settings
from tests.deploy.conftest import ROOT

CONFIG = ROOT / "mlruns_config"


def test_registry_matches_the_tracking_section_of_glassbox_yaml() -> None:
    settings = load_settings(CONFIG / "glassbox.yaml", environ={})
    tracking = settings.tracking
    registry = load_registry(CONFIG / "registry.yaml")
    assert {e.name for e in registry.experiments} == {
        tracking.experiment,
        tracking.monitoring_experiment,
        settings.serving.experiment,
    }
    models = {m.name: m for m in registry.registered_models}
    assert set(models) == {tracking.registered_model}
    assert tracking.champion_alias in models[tracking.registered_model].aliases
    for spec in (*registry.experiments, *registry.registered_models):
        assert spec.description, f"{spec.name}: no description"
        assert spec.tags.get("glassbox.project") == "glassbox"


def test_server_yaml_is_valid_and_serves_artifacts_behind_basic_auth() -> None:
    settings = load_server_settings(CONFIG / "server.yaml")
    assert settings.app_name == "basic-auth"
    assert settings.serve_artifacts
    assert settings.host == "0.0.0.0"  # noqa: S104  (inside a pod, behind NetworkPolicies)
    assert settings.workers * (settings.pool.size + settings.pool.max_overflow) <= 50


def test_a_model_listed_twice_is_refused_with_file_and_name(tmp_path: Path) -> None:
    path = tmp_path / "registry.yaml"
    path.write_text("registered_models:\n  - name: car-loan-default\n  - name: car-loan-default\n")
    with pytest.raises(ConfigError, match=r"registry\.yaml: .*listed twice.*car-loan-default"):
        load_registry(path)


def test_an_unknown_key_is_refused_with_its_path(tmp_path: Path) -> None:
    path = tmp_path / "registry.yaml"
    path.write_text("experiments:\n  - name: x\n    tag: {a: b}\n")
    with pytest.raises(ConfigError, match=r"experiments\.0\.tag: Extra inputs are not permitted"):
        load_registry(path)


def test_a_bad_port_is_refused_with_the_field(tmp_path: Path) -> None:
    path = tmp_path / "server.yaml"
    path.write_text("port: 70000\n")
    with pytest.raises(ConfigError, match=r"server\.yaml: port: Input should be less than"):
        load_server_settings(path)


def test_a_missing_or_malformed_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"nowhere\.yaml: cannot read"):
        load_server_settings(tmp_path / "nowhere.yaml")
    (tmp_path / "list.yaml").write_text("- a\n- b\n")
    with pytest.raises(ConfigError, match=r"list\.yaml: expected a mapping"):
        load_registry(tmp_path / "list.yaml")
