"""Fixtures for the delivery tests: an embedded MLflow store with a registered model whose
versions are real (tiny) logged models, and a real Slack receiver on 127.0.0.1."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

import glassbox  # noqa: F401  (telemetry off first)

SLACK_PATH = "/services/T0DELIVERY/B0DELIVERY/deliverymarker"
MODEL = "car-loan-default"


@pytest.fixture
def slack(httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch) -> HTTPServer:
    """Slack's incoming webhook, answering 200 ok to every alert."""
    httpserver.expect_request(SLACK_PATH, method="POST").respond_with_data("ok")
    monkeypatch.setenv("SLACK_WEBHOOK_URL", httpserver.url_for(SLACK_PATH))
    monkeypatch.delenv("PAGERDUTY_ROUTING_KEY", raising=False)
    return httpserver


@pytest.fixture(scope="session")
def template_store(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A migrated SQLite store (made once: MLflow's schema migrations take seconds; tests copy
    the database file) and a model directory versions are registered from. The lifecycle only
    moves aliases and tags, so the model is an MLmodel file without flavours."""
    import mlflow
    from mlflow.models import Model

    root = tmp_path_factory.mktemp("template-store")
    mlflow.MlflowClient(tracking_uri=f"sqlite:///{root / 'mlflow.db'}").search_experiments()
    (root / "model").mkdir()
    Model().save(str(root / "model" / "MLmodel"))
    return root / "mlflow.db", (root / "model").as_uri()


@pytest.fixture
def store(glassbox_home: Path, slack: HTTPServer, template_store: tuple[Path, str]) -> str:
    """This test's embedded store (a copy of the template), MLflow configured, alerts to
    ``slack``; yields the URI of the logged model versions are registered from."""
    from glassbox.tracking import configure

    glassbox_home.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(template_store[0], glassbox_home / "mlflow.db")
    configure()
    return template_store[1]


@pytest.fixture
def gated(store: str) -> Callable[[str], str]:
    """Register one more gated version (a real logged model) as the register step does."""
    from glassbox import delivery
    from glassbox.config import settings

    conf = settings()
    life = delivery.Lifecycle.from_settings(conf.delivery, MODEL, conf.tracking.champion_alias)

    def register(fingerprint: str) -> str:
        found = delivery.register_gated(
            life, store, fingerprint, {"glassbox.test": "1"}, reason="passed the gate"
        )
        return found.version

    return register
