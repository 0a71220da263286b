"""Glassbox's MLflow tracking server, run from mlruns_config/, and what it must hold.

``server.yaml`` → :func:`server_command` (the ``mlflow server`` flags) and :func:`prepare` (its
environment: pool sizes, a private ``basic_auth.ini`` with the auth database URI, fail-fast
checks). ``registry.yaml`` → :func:`apply_registry` (experiments and registered models, with
descriptions and tags, idempotently) and :func:`grant_pipeline_access` (the steps' MLflow user
and its permissions, through MLflow's ``AuthServiceClient``).

``python -m glassbox.server serve`` is the MLflow Deployment's command (k8s/base/mlflow.yaml),
``python -m glassbox.server bootstrap`` the glassbox-mlflow-bootstrap Job's.
"""

from glassbox.server._launch import (
    POOL_ENV,
    prepare,
    render_auth_config,
    serve,
    server_command,
    wait_until_healthy,
)
from glassbox.server._registry import (
    AppliedRegistry,
    apply_registry,
    bootstrap,
    credentials,
    grant_pipeline_access,
)
from glassbox.server._settings import (
    CONFIG_DIR,
    ExperimentSpec,
    ModelSpec,
    PoolSettings,
    Registry,
    ServerSettings,
    load_registry,
    load_server_settings,
)

__all__ = [
    "CONFIG_DIR",
    "POOL_ENV",
    "AppliedRegistry",
    "ExperimentSpec",
    "ModelSpec",
    "PoolSettings",
    "Registry",
    "ServerSettings",
    "apply_registry",
    "bootstrap",
    "credentials",
    "grant_pipeline_access",
    "load_registry",
    "load_server_settings",
    "prepare",
    "render_auth_config",
    "serve",
    "server_command",
    "wait_until_healthy",
]
