"""Who the tracking server says we are, and what we may write, as one clear error.

A tracking server with MLflow's basic-auth app answers a wrong user or password with HTTP 401
(``UNAUTHENTICATED``) and a user without the needed permission with 403 (``PERMISSION_DENIED``).
MLflow's client raises these as a long ``MlflowException``; a step would then be retried in vain.
:func:`access_errors` turns them into a :class:`TrackingError` (a step's permanent failure:
exit 2, not retried) naming the server, the user and what to fix, and :func:`check_write_access`
asks the server before a pipeline starts, so a bad password stops it before anything runs.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from glassbox.errors import TrackingError

USERNAME_ENV, PASSWORD_ENV = "MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD"
_DENIED = ("UNAUTHENTICATED", "PERMISSION_DENIED")


def _who() -> str:
    user = os.environ.get(USERNAME_ENV)
    return f"user '{user}' (${USERNAME_ENV})" if user else f"anonymous (${USERNAME_ENV} unset)"


def access_error(exc: BaseException, uri: str, doing: str) -> TrackingError | None:
    """The TrackingError an MLflow 401/403 stands for, or ``None`` for any other error."""
    code = getattr(exc, "error_code", None)
    if code not in _DENIED:
        return None
    if code == "UNAUTHENTICATED":
        return TrackingError(
            f"the tracking server {uri} rejected the credentials of {_who()} while {doing} "
            f"(HTTP 401): check ${USERNAME_ENV} and ${PASSWORD_ENV}"
        )
    return TrackingError(
        f"the tracking server {uri} denied {_who()} while {doing} (HTTP 403 PERMISSION_DENIED): "
        "the user needs EDIT on the pipeline's experiment and registered model "
        "(registry.yaml pipeline_permission, granted by `python -m glassbox.server bootstrap`)"
    )


@contextmanager
def access_errors(uri: str, doing: str) -> Iterator[None]:
    """Re-raise a 401/403 from MLflow inside the block as a clear :class:`TrackingError`."""
    from mlflow.exceptions import MlflowException

    try:
        yield
    except MlflowException as exc:
        clear = access_error(exc, uri, doing)
        if clear is None:
            raise
        raise clear from None


def check_write_access(uri: str, experiment: str, registered_model: str | None = None) -> None:
    """Fail now, with one line, if the server at ``uri`` refuses the configured credentials or
    the user may not write to ``experiment`` (and ``registered_model``), when they exist.

    Nothing is written. The embedded store, a server without the auth app, or resources not
    created yet (the pipeline creates them) pass."""
    import mlflow

    if "://" not in uri or uri.startswith(("sqlite:", "file:")):
        return  # the embedded store: no server, no users
    client = mlflow.MlflowClient(tracking_uri=uri, registry_uri=uri)
    with access_errors(uri, f"reading experiment '{experiment}'"):
        found = client.get_experiment_by_name(experiment)
    user = os.environ.get(USERNAME_ENV)
    if not user:
        return
    targets = [("experiment", str(found.experiment_id), experiment)] if found else []
    if registered_model and _model_exists(client, uri, registered_model):
        targets.append(("registered_model", registered_model, registered_model))
    for resource_type, resource_id, name in targets:
        permission = _permission(uri, user, resource_type, resource_id)
        if permission is not None and not permission.can_update:
            raise TrackingError(
                f"the tracking server {uri} gives {_who()} {permission.name} on {resource_type} "
                f"'{name}'; the pipeline writes there and needs EDIT (registry.yaml "
                "pipeline_permission, granted by `python -m glassbox.server bootstrap`)"
            )


def auth_client() -> tuple[Any, Any]:
    """MLflow's ``AuthServiceClient`` and ``get_permission``. Importing them imports MLflow's
    server app, whose Starlette import warns on stderr; a client process has no use for that
    warning, so it is silenced for the import only."""
    import warnings

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"starlette\.middleware\.wsgi is deprecated")
        from mlflow.server.auth.client import AuthServiceClient
        from mlflow.server.auth.permissions import get_permission
    return AuthServiceClient, get_permission


def _model_exists(client: Any, uri: str, name: str) -> bool:
    from mlflow.exceptions import MlflowException

    try:
        with access_errors(uri, f"reading registered model '{name}'"):
            client.get_registered_model(name)
    except MlflowException as exc:
        if exc.error_code == "RESOURCE_DOES_NOT_EXIST":
            return False
        raise
    return True


def _permission(uri: str, user: str, resource_type: str, resource_id: str) -> Any:
    """The user's effective permission on a resource, or ``None`` when the server cannot say
    (no auth app, or no such resource yet)."""
    from mlflow.exceptions import MlflowException

    AuthServiceClient, get_permission = auth_client()
    try:
        result = AuthServiceClient(uri).get_user_permission(user, resource_type, resource_id)
    except MlflowException as exc:
        clear = access_error(exc, uri, f"reading its permission on {resource_type} {resource_id}")
        if clear is not None and exc.error_code == "UNAUTHENTICATED":
            raise clear from None
        return None  # 404: no auth app; 403/400: nothing the pipeline could act on here
    return get_permission(result.permission)
