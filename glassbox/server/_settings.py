"""The two YAML files of the tracking server: ``server.yaml`` and ``registry.yaml``."""

from __future__ import annotations

from pathlib import Path
from typing import Literal, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from glassbox.errors import ConfigError

CONFIG_DIR = Path("mlruns_config")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PoolSettings(_Model):
    """SQLAlchemy pool of the tracking store (``MLFLOW_SQLALCHEMYSTORE_*``)."""

    size: int = Field(5, ge=1)
    max_overflow: int = Field(10, ge=0)
    recycle_seconds: int = Field(1800, ge=1)


class ServerSettings(_Model):
    """``mlruns_config/server.yaml``."""

    host: str = "127.0.0.1"
    port: int = Field(5000, ge=1, le=65535)
    workers: int = Field(2, ge=1)
    keep_alive_seconds: int = Field(75, ge=1)
    app_name: Literal["basic-auth"] | None = "basic-auth"
    serve_artifacts: bool = True
    backend_store_env: str = "MLFLOW_BACKEND_STORE_URI"
    auth_database_env: str = "MLFLOW_AUTH_DATABASE_URI"
    artifacts_destination_env: str = "MLFLOW_ARTIFACTS_DESTINATION"
    artifacts_destination: str = "./mlartifacts"
    allowed_hosts: tuple[str, ...] = ()
    job_execution: bool = False
    pool: PoolSettings = PoolSettings()


class ExperimentSpec(_Model):
    name: str = Field(min_length=1)
    description: str = ""
    tags: dict[str, str] = Field(default_factory=dict)


class ModelSpec(ExperimentSpec):
    # Alias names the pipeline moves; an alias needs a version, so bootstrap creates none.
    aliases: tuple[str, ...] = ()


class Registry(_Model):
    """``mlruns_config/registry.yaml``."""

    pipeline_permission: Literal["READ", "USE", "EDIT", "MANAGE"] = "EDIT"
    experiments: tuple[ExperimentSpec, ...] = ()
    registered_models: tuple[ModelSpec, ...] = ()

    @model_validator(mode="after")
    def _unique_names(self) -> Registry:
        for kind, specs in (
            ("experiments", self.experiments),
            ("registered_models", self.registered_models),
        ):
            names = [spec.name for spec in specs]
            twice = sorted({n for n in names if names.count(n) > 1})
            if twice:
                raise ValueError(f"{kind} listed twice: {twice}")
        return self


_M = TypeVar("_M", bound=_Model)


def _load(path: Path, model: type[_M]) -> _M:
    try:
        raw = yaml.safe_load(path.read_text()) or {}
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level")
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
        )
        raise ConfigError(f"{path}: {problems}") from None


def load_server_settings(path: Path | None = None) -> ServerSettings:
    """Read and validate ``server.yaml`` (default: ./mlruns_config/server.yaml)."""
    return _load(path or CONFIG_DIR / "server.yaml", ServerSettings)


def load_registry(path: Path | None = None) -> Registry:
    """Read and validate ``registry.yaml`` (default: ./mlruns_config/registry.yaml)."""
    return _load(path or CONFIG_DIR / "registry.yaml", Registry)
