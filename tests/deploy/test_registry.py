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
    conf = load_settings(CONFIG / "glassbox.yaml", environ={})
    tracking = conf.tracking
    registry = load_registry(CONFIG / "registry.yaml")
    assert {e.name for e in registry.experiments} == {
        tracking.experiment,
        tracking.monitoring_experiment,
        conf.delivery.experiment,
        conf.serving.experiment,
    }
    models = {m.name: m for m in registry.registered_models}
    assert set(models) == {tracking.registered_model}
    aliases = models[tracking.registered_model].aliases
    assert {tracking.champion_alias, conf.delivery.challenger_alias} <= set(aliases)
    for spec in (*registry.experiments, *registry.registered_models):
        assert spec.description, f"{spec.name}: no description"
        assert spec.tags.get("glassbox.project") == "glassbox"


def test_server_yaml_is_valid_and_serves_artifacts_behind_basic_auth() -> None:
    settings = load_server_settings(CONFIG / "server.yaml")
    assert settings.app_name == "basic-auth"
    assert settings.serve_artifacts
    assert settings.host == "0.0.0.0"  # noqa: S104  (inside a pod, behind NetworkPolicies)
    assert settings.workers * (settings.pool.size + settings.pool.max_overflow) <= 50
    assert settings.keep_alive_seconds > 60  # outlives clients' and load balancers' idle pools


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


def test_basic_auth_caches_successful_credential_checks() -> None:
    """Every request would otherwise pay a slow password-hash check: 16 concurrent writers took
    65 s each for 6 requests on a loaded 2-core machine, 3.5 s with the cache."""
    import configparser

    ini = configparser.ConfigParser(interpolation=None)
    ini.read(CONFIG / "basic_auth.ini")
    ttl = ini.getint("mlflow", "auth_cache_ttl_seconds")
    assert 0 < ttl <= 300  # a reset password is honoured by every worker within the TTL
    assert ini.get("mlflow", "default_permission") == "NO_PERMISSIONS"
