"""Fixtures of the runner tests."""

from __future__ import annotations

from pathlib import Path

import pytest

import glassbox  # noqa: F401  (switches telemetry off before anything else is imported)

from ._runner import Runner


@pytest.fixture
def runner(tmp_path: Path) -> Runner:
    return Runner(tmp_path)
