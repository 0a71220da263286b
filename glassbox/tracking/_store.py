"""Where the MLflow record lives: the embedded default, or ``MLFLOW_TRACKING_URI``."""

from __future__ import annotations

import os
from pathlib import Path

from glassbox.config import settings


def glassbox_home() -> Path:
    """Local state (embedded MLflow store, runner logs, alert outbox): ``$GLASSBOX_HOME``."""
    return Path(os.environ.get("GLASSBOX_HOME") or Path.cwd() / ".glassbox").resolve()


def tracking_uri() -> str:
    """``MLFLOW_TRACKING_URI`` > settings ``tracking.tracking_uri`` > embedded SQLite file."""
    explicit = os.environ.get("MLFLOW_TRACKING_URI") or settings().tracking.tracking_uri
    if explicit:
        return explicit
    return f"sqlite:///{glassbox_home() / 'mlflow.db'}"


def run_url(experiment_id: str, run_id: str) -> str:
    """Link to a run in the MLflow UI: ``$GLASSBOX_MLFLOW_UI_URL``, the tracking server, or
    the local ``just ui`` address."""
    uri = tracking_uri()
    base = os.environ.get("GLASSBOX_MLFLOW_UI_URL") or (
        uri if uri.startswith(("http://", "https://")) else "http://127.0.0.1:5000"
    )
    return f"{base.rstrip('/')}/#/experiments/{experiment_id}/runs/{run_id}"


def is_embedded(uri: str | None = None) -> bool:
    return (uri or tracking_uri()).startswith(("sqlite:", "file:")) or "://" not in (
        uri or tracking_uri()
    )


def artifact_root() -> str | None:
    """Artifact location for new experiments: a local directory when the store is embedded;
    ``None`` (the server's default, e.g. S3 through ``--serve-artifacts``) otherwise."""
    if not is_embedded():
        return None
    root = glassbox_home() / "artifacts"
    root.mkdir(parents=True, exist_ok=True)
    return root.as_uri()


def configure() -> str:
    """Point MLflow (tracking and registry) at the store; create the embedded one on first use."""
    import mlflow

    uri = tracking_uri()
    if uri.startswith("sqlite:///"):
        Path(uri.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    return uri


def ensure_experiment(name: str) -> str:
    """Get or create an experiment; embedded experiments keep artifacts under $GLASSBOX_HOME."""
    import mlflow
    from mlflow.exceptions import MlflowException

    client = mlflow.MlflowClient()
    found = client.get_experiment_by_name(name)
    if found is not None:
        return str(found.experiment_id)
    try:
        return str(client.create_experiment(name, artifact_location=artifact_root()))
    except MlflowException:  # created concurrently by a sibling step
        again = client.get_experiment_by_name(name)
        if again is None:
            raise
        return str(again.experiment_id)
