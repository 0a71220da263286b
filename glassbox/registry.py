"""Model registry: register a gated model, move the champion alias, resolve the champion."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from glassbox.errors import TrackingError

FINGERPRINT_TAG = "glassbox.model.fingerprint"
# What a step resolved in the registry, tagged on its run so a replay can pin it (glassbox.replay).
CHAMPION_TAG = "glassbox.registry.champion"  # the version the alias pointed at, or "none"
REGISTERED_TAG = "glassbox.registry.registered"  # the version this step registered
# Set by ``glassbox replay`` only: resolve the alias to the recorded version and never write.
PIN_CHAMPION_ENV = "GLASSBOX_REPLAY_CHAMPION"
PIN_REGISTER_ENV = "GLASSBOX_REPLAY_REGISTER"
_ABSENT = {"RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE", "NOT_FOUND"}


def _note(tag: str, value: str) -> None:
    import mlflow

    if mlflow.active_run() is not None:
        mlflow.set_tag(tag, value)


@dataclass(frozen=True)
class ModelRef:
    name: str
    version: str
    run_id: str
    fingerprint: str
    uri: str

    def tags(self) -> dict[str, str]:
        return {
            "glassbox.model.name": self.name,
            "glassbox.model.version": self.version,
            "glassbox.model.fingerprint": self.fingerprint,
            "glassbox.model.run_id": self.run_id,
        }


def register(model_uri: str, name: str, fingerprint: str, alias: str, tags: dict[str, str]) -> str:
    """Register ``model_uri`` as a new version of ``name`` and point ``alias`` at it.

    Under ``glassbox replay`` nothing is written: the recorded version is returned if its
    fingerprint is this model's, else the replay has produced another model."""
    import mlflow

    pinned = os.environ.get(PIN_REGISTER_ENV)
    if pinned:
        recorded = mlflow.MlflowClient().get_model_version(name, pinned)
        if recorded.tags.get(FINGERPRINT_TAG) != fingerprint:
            raise TrackingError(
                f"replay: this model's fingerprint {fingerprint} differs from the recorded "
                f"version {pinned}'s {recorded.tags.get(FINGERPRINT_TAG)}; not registering"
            )
        _note(REGISTERED_TAG, pinned)
        return pinned
    version = mlflow.register_model(model_uri, name, tags={FINGERPRINT_TAG: fingerprint, **tags})
    client = mlflow.MlflowClient()
    client.set_registered_model_alias(name, alias, version.version)
    _note(REGISTERED_TAG, str(version.version))
    return str(version.version)


def champion(name: str, alias: str) -> ModelRef | None:
    """The model version the alias points at, or None when there is none yet (under
    ``glassbox replay``: the version it pointed at when the replayed run ran)."""
    import mlflow
    from mlflow.exceptions import MlflowException

    client = mlflow.MlflowClient()
    pinned = os.environ.get(PIN_CHAMPION_ENV)
    try:
        if pinned == "none":
            mv = None
        elif pinned:
            mv = client.get_model_version(name, pinned)
        else:
            mv = client.get_model_version_by_alias(name, alias)
    except MlflowException as exc:
        if exc.error_code not in _ABSENT:
            raise
        mv = None
    _note(CHAMPION_TAG, str(mv.version) if mv is not None else "none")
    if mv is None:
        return None
    return ModelRef(
        name=name,
        version=str(mv.version),
        run_id=str(mv.run_id),
        fingerprint=mv.tags.get(FINGERPRINT_TAG, ""),
        uri=f"models:/{name}/{mv.version}" if pinned else f"models:/{name}@{alias}",
    )


def require_champion(name: str, alias: str) -> ModelRef:
    ref = champion(name, alias)
    if ref is None:
        raise TrackingError(
            f"registered model '{name}' has no '@{alias}' version yet: no model has passed the "
            "gate (see the evaluate step's glassbox.gate tags)"
        )
    return ref


def load(uri: str) -> Any:
    """Load a model logged by the train step (sklearn flavour, skops with our trusted types)."""
    import mlflow.sklearn

    return mlflow.sklearn.load_model(uri)
