"""Settings: the `alerts:` section plus GLASSBOX_ALERTS__* overrides, with clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from glassbox.alerts import AlertConfigError, AlertRouter, AlertSettings


def test_env_overrides_nest_like_the_settings_file() -> None:
    settings = AlertSettings.load(
        {"cooldown_seconds": 60, "retry": {"attempts": 2}},
        environ={
            "GLASSBOX_ALERTS__COOLDOWN_SECONDS": "120",
            "GLASSBOX_ALERTS__RETRY__WAIT_MAX": "3",
            "GLASSBOX_ALERTS__LOCAL": "true",
        },
    )
    assert settings.cooldown.total_seconds() == 120
    assert (settings.retry.attempts, settings.retry.wait_max) == (2, 3.0)
    assert settings.local is True


def test_bad_values_name_the_setting() -> None:
    with pytest.raises(AlertConfigError, match=r"alerts\.cooldown_seconds: Input should be"):
        AlertSettings.load(environ={"GLASSBOX_ALERTS__COOLDOWN_SECONDS": "soon"})
    with pytest.raises(AlertConfigError, match=r"alerts\.retry\.attempts"):
        AlertSettings.load({"retry": {"attempts": 0}}, environ={})
    with pytest.raises(AlertConfigError, match=r"alerts\.colldown: unknown key"):
        AlertSettings.load({"colldown": 1}, environ={})


def test_state_dir_defaults_under_glassbox_home(tmp_path: Path) -> None:
    env = {"GLASSBOX_HOME": str(tmp_path / "home")}
    with AlertRouter.from_env(environ=env) as router:
        assert router.state_path == str(tmp_path / "home" / "alerts" / "alerts.sqlite3")
        assert router.is_local


def test_channels_come_from_the_environment(tmp_path: Path) -> None:
    env = {
        "SLACK_WEBHOOK_URL": "https://hooks.invalid/services/T/B/x",
        "PAGERDUTY_ROUTING_KEY": "k" * 32,
        "GLASSBOX_ALERTS__STATE_DIR": str(tmp_path / "s"),
    }
    with AlertRouter.from_env(environ=env) as router:
        assert router.channels == ("desktop", "pagerduty", "slack")
        assert not router.is_local
    with pytest.raises(AlertConfigError, match="pagerduty events URL: expected an http"):
        AlertRouter.from_env(
            environ={**env, "GLASSBOX_ALERTS__PAGERDUTY_EVENTS_URL": "file:///tmp/x"}
        )
