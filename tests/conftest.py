"""Shared fixtures: an isolated embedded MLflow store per test (real SQLite file in tmp_path)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import glassbox  # noqa: F401  (telemetry off before any tracking library is imported)

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def glassbox_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """GLASSBOX_HOME in tmp_path: the embedded MLflow store (SQLite + artifacts) lives there."""
    home = tmp_path / "glassbox-home"
    monkeypatch.setenv("GLASSBOX_HOME", str(home))
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.chdir(REPO)
    from glassbox.config import settings
    from glassbox.tracking._identity import code_tags, current_identity

    settings.cache_clear()
    current_identity.cache_clear()
    code_tags.cache_clear()
    yield home
    import mlflow

    while mlflow.active_run():
        mlflow.end_run()


@pytest.fixture(autouse=True)
def _mlflow_uris_restored() -> Iterator[None]:
    """Each test leaves MLflow's process-wide tracking and registry URIs as it found them.

    ``glassbox.tracking.configure()`` sets both (as every step does in its own process); left set
    in the test process, a later ``MlflowClient(tracking_uri=server)`` would still send its
    registry calls to the earlier test's SQLite file."""
    import sys

    if "mlflow" not in sys.modules:
        yield
        if "mlflow" not in sys.modules:
            return
        saved: tuple[str | None, str | None] = (None, None)
    else:
        saved = _mlflow_uris()
        yield
    from mlflow.tracking._model_registry import utils as registry
    from mlflow.tracking._tracking_service import utils as tracking

    tracking._tracking_uri, registry._registry_uri = saved


def _mlflow_uris() -> tuple[str | None, str | None]:
    from mlflow.tracking._model_registry import utils as registry
    from mlflow.tracking._tracking_service import utils as tracking

    return tracking._tracking_uri, registry._registry_uri
