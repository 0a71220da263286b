"""What a tracking server must hold before the first pipeline run: registry.yaml, applied."""

from __future__ import annotations

import configparser
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from glassbox.errors import ConfigError, TrackingError
from glassbox.server._launch import ADMIN_PASSWORD_ENV, wait_until_healthy
from glassbox.server._settings import (
    CONFIG_DIR,
    ExperimentSpec,
    ModelSpec,
    Registry,
    load_registry,
    load_server_settings,
)

PIPELINE_USER_ENV = ("GLASSBOX_PIPELINE_USERNAME", "GLASSBOX_PIPELINE_PASSWORD")
DESCRIPTION_TAG = "mlflow.note.content"  # what the MLflow UI shows as an experiment's description


@dataclass(frozen=True)
class AppliedRegistry:
    """What :func:`apply_registry` left on the server."""

    experiment_ids: dict[str, str]  # name → id
    registered_models: tuple[str, ...]


def _ensure_experiment(client: Any, spec: ExperimentSpec) -> str:
    from mlflow.exceptions import MlflowException

    found = client.get_experiment_by_name(spec.name)
    if found is None:
        try:
            client.create_experiment(spec.name)
        except MlflowException as exc:
            if exc.error_code != "RESOURCE_ALREADY_EXISTS":  # else: a concurrent bootstrap
                raise
        found = client.get_experiment_by_name(spec.name)
        if found is None:
            raise TrackingError(f"experiment '{spec.name}' was created but cannot be read back")
    experiment_id = str(found.experiment_id)
    if found.lifecycle_stage == "deleted":
        client.restore_experiment(experiment_id)
    for key, value in {**spec.tags, DESCRIPTION_TAG: spec.description}.items():
        if found.tags.get(key) != value:  # an up-to-date server gets no writes
            client.set_experiment_tag(experiment_id, key, value)
    return experiment_id


def _ensure_model(client: Any, spec: ModelSpec) -> None:
    from mlflow.exceptions import MlflowException

    try:
        current = client.get_registered_model(spec.name)
    except MlflowException as exc:
        if exc.error_code != "RESOURCE_DOES_NOT_EXIST":
            raise
        try:
            client.create_registered_model(spec.name, tags=spec.tags, description=spec.description)
            return
        except MlflowException as again:
            if again.error_code != "RESOURCE_ALREADY_EXISTS":  # else: a concurrent bootstrap
                raise
        current = client.get_registered_model(spec.name)
    if (current.description or "") != spec.description:
        client.update_registered_model(spec.name, description=spec.description)
    for key, value in spec.tags.items():
        if current.tags.get(key) != value:
            client.set_registered_model_tag(spec.name, key, value)


def apply_registry(client: Any, registry: Registry | None = None) -> AppliedRegistry:
    """Create, or bring up to date, every experiment and registered model of ``registry``
    (default: registry.yaml) through ``client``, an ``mlflow.MlflowClient``.

    Idempotent, so it runs on every deploy: descriptions and tags that differ are reset (an
    up-to-date server gets no writes), a deleted experiment of the same name is restored, tags
    added by hand are left alone. Aliases need a
    model version, so none is created (the register step moves them)."""
    reg = registry or load_registry()
    ids = {spec.name: _ensure_experiment(client, spec) for spec in reg.experiments}
    for model in reg.registered_models:
        _ensure_model(client, model)
    return AppliedRegistry(ids, tuple(m.name for m in reg.registered_models))


@contextmanager
def credentials(user: tuple[str, str]) -> Iterator[None]:
    """MLflow's clients (``MlflowClient``, ``AuthServiceClient``) in this process act as
    ``user`` inside the block: they take basic-auth credentials from these two variables only."""
    names = ("MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD")
    saved = {name: os.environ.get(name) for name in names}
    os.environ.update(zip(names, user, strict=True))
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@contextmanager
def _as_admin(tracking_uri: str, admin: tuple[str, str], doing: str) -> Iterator[None]:
    """Run auth-API calls as ``admin``; their failures become one TrackingError line."""
    from mlflow.exceptions import MlflowException

    try:
        with credentials(admin):
            yield
    except MlflowException as exc:
        if exc.error_code == "UNAUTHENTICATED":
            raise TrackingError(
                f"{tracking_uri} rejected the admin credentials of '{admin[0]}' while {doing} "
                f"(HTTP 401): check ${ADMIN_PASSWORD_ENV}"
            ) from None
        first = str(exc.message).splitlines()[0][:300]
        raise TrackingError(f"{tracking_uri}: {doing} failed: {exc.error_code}: {first}") from None


def _exists(exc: Exception) -> bool:
    return getattr(exc, "error_code", None) == "RESOURCE_ALREADY_EXISTS"


def grant_pipeline_access(
    tracking_uri: str,
    admin: tuple[str, str],
    user: tuple[str, str],
    applied: AppliedRegistry,
    permission: str = "EDIT",
) -> None:
    """Create the pipeline's MLflow user, or reset its password to ``user[1]`` (the Secret's
    value wins), and give it ``permission`` on every experiment and registered model of
    ``applied`` (a different grant made by hand is replaced; an equal one is kept). Uses
    MLflow's ``AuthServiceClient`` as ``admin``."""
    from mlflow.exceptions import MlflowException

    from glassbox.tracking import auth_client

    client = auth_client()[0](tracking_uri)
    name, password = user
    with _as_admin(tracking_uri, admin, f"creating user '{name}'"):
        try:
            client.create_user(name, password)
        except MlflowException as exc:
            if not _exists(exc):
                raise
            client.update_user_password(name, password)
    targets = [("experiment", i) for i in applied.experiment_ids.values()]
    targets += [("registered_model", model) for model in applied.registered_models]
    for resource_type, resource_id in targets:
        doing = f"granting '{name}' {permission} on {resource_type} {resource_id}"
        with _as_admin(tracking_uri, admin, doing):
            try:
                client.grant_user_permission(name, resource_type, resource_id, permission)
            except MlflowException as exc:
                if not _exists(exc):
                    raise
                current = client.get_user_permission(name, resource_type, resource_id)
                if current.permission != permission:
                    client.revoke_user_permission(name, resource_type, resource_id)
                    client.grant_user_permission(name, resource_type, resource_id, permission)


def _env(environ: Mapping[str, str], name: str, what: str) -> str:
    value = environ.get(name, "")
    if not value:
        raise ConfigError(f"${name} is not set: expected {what}")
    return value


def bootstrap(
    environ: Mapping[str, str] | None = None,
    *,
    config_dir: Path = CONFIG_DIR,
    timeout: float = 300.0,
) -> AppliedRegistry:
    """Wait for the server at ``$MLFLOW_TRACKING_URI``, apply registry.yaml as the admin of
    basic_auth.ini (password ``$MLFLOW_AUTH_ADMIN_PASSWORD``) and give the pipeline's user
    (``$GLASSBOX_PIPELINE_USERNAME`` / ``_PASSWORD``) access. Without an auth app in
    server.yaml only the registry is applied."""
    env = os.environ if environ is None else environ
    uri = _env(env, "MLFLOW_TRACKING_URI", "the tracking server URL (http://glassbox-mlflow:5000)")
    settings = load_server_settings(config_dir / "server.yaml")
    registry = load_registry(config_dir / "registry.yaml")
    if not settings.app_name:
        wait_until_healthy(uri, timeout)
        return _apply(uri, registry)
    ini = configparser.ConfigParser(interpolation=None)
    ini.read(config_dir / "basic_auth.ini")
    admin = (ini.get("mlflow", "admin_username"), _env(env, ADMIN_PASSWORD_ENV, "its password"))
    name, password = (_env(env, var, "the pipeline's MLflow user") for var in PIPELINE_USER_ENV)
    wait_until_healthy(uri, timeout)
    with _as_admin(uri, admin, "applying registry.yaml"):
        applied = _apply(uri, registry)
    grant_pipeline_access(uri, admin, (name, password), applied, registry.pipeline_permission)
    return applied


def _apply(uri: str, registry: Registry) -> AppliedRegistry:
    import mlflow

    return apply_registry(mlflow.MlflowClient(tracking_uri=uri, registry_uri=uri), registry)
