"""Following an alias: a moved alias hands over the new version once it loaded; a version that
does not load is not swapped in, nor reloaded at every poll."""

from __future__ import annotations

from typing import Any

import pytest

from glassbox.serving import ServingError, ServingSettings, VersionRef
from glassbox.serving import _model as model_module
from glassbox.serving._follow import AliasFollower

from ._toy import served


def ref(version: str) -> VersionRef:
    return VersionRef("car-loan-default", version, f"run-{version}", "f" * 64, "champion")


def test_a_moved_alias_is_loaded_and_handed_over_and_a_broken_version_is_not_retried_at_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    current = served("1")
    alias = ["1"]
    loads: list[str] = []
    handed: list[Any] = []

    def load(found: VersionRef, settings: ServingSettings) -> Any:
        loads.append(found.version)
        if found.version == "2":
            raise ServingError("model models:/car-loan-default/2: no data contract")
        return served(found.version)

    monkeypatch.setattr(model_module, "resolve", lambda uri: ref(alias[0]))
    monkeypatch.setattr(model_module, "load", load)
    follower = AliasFollower(
        "models:/car-loan-default@champion", ServingSettings(), lambda: current, handed.append
    )
    assert follower.check() is False and loads == []  # the alias did not move
    alias[0] = "2"
    assert follower.check() is False and "no data contract" in (follower.last_error or "")
    assert follower.check() is False and loads == ["2"]  # not reloaded at the next poll
    alias[0] = "3"
    assert follower.check() is True
    assert loads == ["2", "3"] and [m.ref.version for m in handed] == ["3"]
    assert follower.last_error is None


def test_an_unreachable_registry_keeps_the_old_version(monkeypatch: pytest.MonkeyPatch) -> None:
    def down(uri: str) -> VersionRef:
        raise ConnectionError("registry unreachable")

    monkeypatch.setattr(model_module, "resolve", down)
    handed: list[Any] = []
    follower = AliasFollower(
        "models:/car-loan-default@champion", ServingSettings(), lambda: served("1"), handed.append
    )
    assert follower.check() is False and handed == []
    assert "registry unreachable" in (follower.last_error or "")
