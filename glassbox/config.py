"""Settings: one YAML file (``mlruns_config/glassbox.yaml``) validated by pydantic, env overrides.

Resolution order (later wins): defaults below → the YAML file (``$GLASSBOX_CONFIG`` or
``mlruns_config/glassbox.yaml`` under the working directory) → ``GLASSBOX_<SECTION>__<KEY>``
environment variables. Secrets are *not* settings: they are read from the environment by the
code that needs them and never pass through this model (so they cannot reach MLflow params).
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from glassbox.errors import ConfigError
from glassbox.serving._settings import ServingSettings

DEFAULT_CONFIG = Path("mlruns_config/glassbox.yaml")
ENV_PREFIX = "GLASSBOX_"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TrackingSettings(_Section):
    tracking_uri: str = ""
    experiment: str = "glassbox-car-loan"
    monitoring_experiment: str = "glassbox-car-loan-monitoring"
    registered_model: str = "car-loan-default"
    champion_alias: str = "champion"
    system_metrics_interval_seconds: float = Field(0.5, gt=0)


class DataSettings(_Section):
    reference: str = "nannyml:car_loan"
    production: str = "nannyml:car_loan"
    targets: str = "nannyml:car_loan"
    id_column: str = "id"
    timestamp_column: str = "timestamp"
    target_column: str = "repaid"
    numeric_features: tuple[str, ...] = (
        "car_value",
        "debt_to_income_ratio",
        "loan_length",
        "driver_tenure",
    )
    categorical_features: tuple[str, ...] = (
        "salary_range",
        "size_of_downpayment",
        "repaid_loan_on_prev_car",
    )
    holdout_fraction: float = Field(0.2, gt=0, lt=1)

    @property
    def features(self) -> tuple[str, ...]:
        return self.numeric_features + self.categorical_features

    @model_validator(mode="after")
    def _features_disjoint(self) -> DataSettings:
        both = set(self.numeric_features) & set(self.categorical_features)
        if both:
            raise ValueError(f"features listed as both numeric and categorical: {sorted(both)}")
        return self


class ModelSettings(_Section):
    learning_rate: float = Field(0.1, gt=0)
    max_iter: int = Field(120, ge=1)
    max_leaf_nodes: int = Field(31, ge=2)
    early_stopping: bool = False
    # Share of features considered per split, drawn with the pipeline seed.
    max_features: float = Field(0.8, gt=0, le=1)


class GateSettings(_Section):
    min_roc_auc: float = Field(0.8, ge=0, le=1)
    min_accuracy: float = Field(0.7, ge=0, le=1)
    champion_tolerance: float = Field(0.005, ge=0)


class ExplainSettings(_Section):
    sample_rows: int = Field(1000, ge=10)
    max_additivity_error: float = Field(1e-6, gt=0)


class Settings(_Section):
    project: str = "glassbox"
    env: str = "local"
    tracking: TrackingSettings = TrackingSettings()
    data: DataSettings = DataSettings()
    model: ModelSettings = ModelSettings()
    gate: GateSettings = GateSettings()
    explain: ExplainSettings = ExplainSettings()
    serving: ServingSettings = ServingSettings()
    pricing: dict[str, float] = Field(default_factory=lambda: {"local": 0.0})
    # Sections owned by other modules (monitoring thresholds, alert routing) are validated there.
    monitoring: dict[str, Any] = Field(default_factory=dict)
    alerts: dict[str, Any] = Field(default_factory=dict)


# Top-level settings also read from a plain variable (the cluster's glassbox-env ConfigMap).
_TOP_LEVEL = {"GLASSBOX_ENV": "env", "GLASSBOX_PROJECT": "project"}


def _env_overrides(environ: dict[str, str]) -> dict[str, Any]:
    """``GLASSBOX_TRACKING__EXPERIMENT=x`` → ``{"tracking": {"experiment": "x"}}`` (YAML-typed);
    ``GLASSBOX_ENV=prod`` → ``{"env": "prod"}``."""
    out: dict[str, Any] = {
        field: environ[key] for key, field in _TOP_LEVEL.items() if environ.get(key)
    }
    for key, raw in environ.items():
        if not key.startswith(ENV_PREFIX) or "__" not in key:
            continue
        path = key[len(ENV_PREFIX) :].lower().split("__")
        node = out
        for part in path[:-1]:
            node = node.setdefault(part, {})
        node[path[-1]] = yaml.safe_load(raw) if raw else raw
    return out


def _merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def config_path() -> Path | None:
    """The settings file in force: ``$GLASSBOX_CONFIG``, else ./mlruns_config/glassbox.yaml."""
    explicit = os.environ.get("GLASSBOX_CONFIG")
    if explicit:
        path = Path(explicit)
        if not path.is_file():
            raise ConfigError(f"GLASSBOX_CONFIG={explicit}: file not found")
        return path
    return DEFAULT_CONFIG if DEFAULT_CONFIG.is_file() else None


def load_settings(path: Path | None = None, environ: dict[str, str] | None = None) -> Settings:
    """Read, merge and validate the settings; a bad value names its key and the expectation."""
    path = path if path is not None else config_path()
    raw: dict[str, Any] = {}
    if path is not None:
        try:
            raw = yaml.safe_load(path.read_text()) or {}
        except yaml.YAMLError as exc:
            raise ConfigError(f"{path}: not valid YAML: {exc}") from None
        if not isinstance(raw, dict):
            raise ConfigError(f"{path}: expected a mapping at the top level")
    raw = _merge(raw, _env_overrides(dict(os.environ if environ is None else environ)))
    try:
        return Settings.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
        )
        raise ConfigError(f"{path or 'settings'}: {problems}") from None


@lru_cache(maxsize=1)
def settings() -> Settings:
    """The process-wide settings (cached: a step process reads them once)."""
    return load_settings()
