"""Model registry: register a gated model, move the champion alias, resolve the champion."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from glassbox.errors import TrackingError

FINGERPRINT_TAG = "glassbox.model.fingerprint"


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
    """Register ``model_uri`` as a new version of ``name`` and point ``alias`` at it."""
    import mlflow

    version = mlflow.register_model(model_uri, name, tags={FINGERPRINT_TAG: fingerprint, **tags})
    client = mlflow.MlflowClient()
    client.set_registered_model_alias(name, alias, version.version)
    return str(version.version)


def champion(name: str, alias: str) -> ModelRef | None:
    """The model version the alias points at, or None when there is none yet."""
    import mlflow
    from mlflow.exceptions import MlflowException

    client = mlflow.MlflowClient()
    try:
        mv = client.get_model_version_by_alias(name, alias)
    except MlflowException as exc:
        if exc.error_code in {"RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE", "NOT_FOUND"}:
            return None
        raise
    return ModelRef(
        name=name,
        version=str(mv.version),
        run_id=str(mv.run_id),
        fingerprint=mv.tags.get(FINGERPRINT_TAG, ""),
        uri=f"models:/{name}@{alias}",
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
