"""Settings: one YAML file (``mlruns_config/glassbox.yaml``) plus environment overrides, loaded
by pydantic-settings in this one place, with one rule for every section.

Resolution order (later wins): defaults below → the YAML file (``$GLASSBOX_CONFIG`` or
``mlruns_config/glassbox.yaml`` under the working directory) → ``GLASSBOX_<SECTION>__<KEY>``
environment variables (``__`` descends one level: ``GLASSBOX_MONITORING__NANNYML__CHUNK_SIZE``;
values are read as YAML, so ``[a, b]`` is a list) and ``GLASSBOX_ENV`` / ``GLASSBOX_PROJECT``.
Every section is typed and forbids unknown keys, in the file and in the environment alike: a
misspelt key or a bad value stops with one line naming it (and the variable that set it).
Secrets are *not* settings: they are read from the environment by the code that needs them and
never pass through this model (so they cannot reach MLflow params).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    InitSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    YamlConfigSettingsSource,
)

from glassbox.alerts._settings import AlertSettings
from glassbox.delivery._settings import DeliverySettings
from glassbox.errors import ConfigError
from glassbox.monitoring._config import MonitoringSettings
from glassbox.serving._settings import ServingSettings

DEFAULT_CONFIG = Path("mlruns_config/glassbox.yaml")
ENV_PREFIX = "GLASSBOX_"
NESTED = "__"


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
    # None (or empty): the data has no such column; see glassbox.features (derived ids, row
    # order, one partition).
    id_column: str | None = "id"
    timestamp_column: str | None = "timestamp"
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

    @field_validator("id_column", "timestamp_column", mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return None if value == "" else value

    @model_validator(mode="after")
    def _features_disjoint(self) -> DataSettings:
        both = set(self.numeric_features) & set(self.categorical_features)
        if both:
            raise ValueError(f"features listed as both numeric and categorical: {sorted(both)}")
        return self


Task = Literal["classification", "regression"]


class ModelSettings(_Section):
    # classification: a binary label (0/1), the model's probability y_pred_proba and class
    # y_pred; regression: a numeric target and the model's number y_pred (docs/own-data.md).
    task: Task = "classification"
    learning_rate: float = Field(0.1, gt=0)
    max_iter: int = Field(120, ge=1)
    max_leaf_nodes: int = Field(31, ge=2)
    early_stopping: bool = False
    # Share of features considered per split, drawn with the pipeline seed.
    max_features: float = Field(0.8, gt=0, le=1)


class GateSettings(_Section):
    """Held-out floors (classification: ROC AUC, accuracy; regression: R²) and ceilings
    (regression: RMSE, MAE, in the target's units; null = none), and how much worse than the
    champion on the same rows a candidate may be (ROC AUC and accuracy; R²)."""

    min_roc_auc: float = Field(0.8, ge=0, le=1)
    min_accuracy: float = Field(0.7, ge=0, le=1)
    min_r2: float | None = Field(0.5, le=1)
    max_rmse: float | None = Field(None, gt=0)
    max_mae: float | None = Field(None, gt=0)
    champion_tolerance: float = Field(0.005, ge=0)


class ExplainSettings(_Section):
    sample_rows: int = Field(1000, ge=10)
    max_additivity_error: float = Field(1e-6, gt=0)


class Settings(BaseSettings):
    """All settings; each section is its own frozen model that forbids unknown keys."""

    model_config = SettingsConfigDict(
        extra="forbid",
        frozen=True,
        env_prefix=ENV_PREFIX,
        env_nested_delimiter=NESTED,
        case_sensitive=False,
    )

    project: str = "glassbox"
    env: str = "local"
    tracking: TrackingSettings = TrackingSettings()
    data: DataSettings = DataSettings()
    model: ModelSettings = ModelSettings()
    gate: GateSettings = GateSettings()
    explain: ExplainSettings = ExplainSettings()
    serving: ServingSettings = ServingSettings()
    pricing: dict[str, float] = Field(default_factory=lambda: {"local": 0.0})
    monitoring: MonitoringSettings = MonitoringSettings()
    alerts: AlertSettings = AlertSettings()
    delivery: DeliverySettings = DeliverySettings()

    @model_validator(mode="after")
    def _task_consistent(self) -> Settings:
        task, gate = self.model.task, self.gate
        problem = self.monitoring.performance.problem_type
        expected = {"classification": "classification_binary", "regression": "regression"}[task]
        if problem not in ("auto", expected):
            raise ValueError(
                f"monitoring.performance.problem_type: {problem}, but model.task is {task} "
                f"(use auto or {expected})"
            )
        if task == "regression" and (gate.min_r2, gate.max_rmse, gate.max_mae) == (None,) * 3:
            raise ValueError(
                "gate: a regression model (model.task: regression) needs at least one of "
                "min_r2, max_rmse, max_mae"
            )
        return self

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        path, environ, base = _SOURCES.get()
        sources: list[PydanticBaseSettingsSource] = [
            init_settings,
            _Environment(settings_cls, environ),
        ]
        if path is not None:
            sources.append(YamlConfigSettingsSource(settings_cls, yaml_file=path))
        if base:
            sources.append(InitSettingsSource(settings_cls, init_kwargs=dict(base)))
        return tuple(sources)


# What the next Settings() reads: the YAML file (or None), the environment, and values below
# both (a section given by a caller, see ``load_section``).
_SOURCES: ContextVar[tuple[Path | None, Mapping[str, str], Mapping[str, Any]]] = ContextVar(
    "glassbox_settings_sources", default=(None, {}, {})
)


class _Environment(EnvSettingsSource):
    """``GLASSBOX_<SECTION>__<KEY>`` from a given mapping (``os.environ`` by default), values
    read as YAML (a superset of JSON: ``0.9``, ``true``, ``[a, b]``, ``{type: std}``)."""

    def __init__(self, settings_cls: type[BaseSettings], environ: Mapping[str, str]) -> None:
        self._environ = environ
        super().__init__(settings_cls)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        return {key.lower(): value for key, value in self._environ.items()}

    def decode_complex_value(self, field_name: str, field: FieldInfo | None, value: Any) -> Any:
        return yaml.safe_load(value) if isinstance(value, str) else value


def _unknown_sections(environ: Mapping[str, str]) -> list[str]:
    """``GLASSBOX_<X>__...`` variables whose section ``<x>`` does not exist."""
    known = set(Settings.model_fields)
    out = []
    for key in environ:
        upper = key.upper()
        if upper.startswith(ENV_PREFIX) and NESTED in upper[len(ENV_PREFIX) :]:
            section = upper[len(ENV_PREFIX) :].split(NESTED, 1)[0].lower()
            if section not in known:
                out.append(key)
    return sorted(out)


def config_path() -> Path | None:
    """The settings file in force: ``$GLASSBOX_CONFIG``, else ./mlruns_config/glassbox.yaml."""
    explicit = os.environ.get("GLASSBOX_CONFIG")
    if explicit:
        path = Path(explicit)
        if not path.is_file():
            raise ConfigError(f"GLASSBOX_CONFIG={explicit}: file not found")
        return path
    return DEFAULT_CONFIG if DEFAULT_CONFIG.is_file() else None


def _variable(loc: tuple[Any, ...], environ: Mapping[str, str]) -> str | None:
    """The environment variable that set the value at ``loc``, if one did."""
    for depth in range(len(loc), 0, -1):
        name = ENV_PREFIX + NESTED.join(str(p) for p in loc[:depth]).upper()
        if any(key.upper() == name for key in environ):
            return name
    return None


def _problem(err: Any, environ: Mapping[str, str]) -> str:
    loc = tuple(err["loc"])
    where = ".".join(str(p) for p in loc) or "settings"
    message = str(err["msg"]).removeprefix("Value error, ")
    if err["type"] == "extra_forbidden":
        message = "unknown key"
    variable = _variable(loc, environ)
    return f"{where}: {message}" + (f" (set by {variable})" if variable else "")


def load_settings(path: Path | None = None, environ: Mapping[str, str] | None = None) -> Settings:
    """Read, merge and validate the settings; a bad value names its key and the expectation."""
    return _load(path if path is not None else config_path(), environ, {})


def load_section(
    name: str, values: Mapping[str, Any] | None, environ: Mapping[str, str] | None
) -> Any:
    """One section from ``values`` (e.g. a mapping a caller holds) with the environment's
    ``GLASSBOX_<NAME>__*`` overrides applied by the same rules as :func:`load_settings`."""
    if name not in Settings.model_fields:
        raise ConfigError(f"no settings section {name!r}")
    return getattr(_load(None, environ, {name: dict(values or {})}), name)


def _load(
    path: Path | None, environ: Mapping[str, str] | None, base: Mapping[str, Any]
) -> Settings:
    env = dict(os.environ if environ is None else environ)
    where = str(path) if path is not None else "settings"
    unknown = _unknown_sections(env)
    if unknown:
        raise ConfigError(
            f"{where}: {unknown[0]}: unknown settings section "
            f"{unknown[0][len(ENV_PREFIX) :].split(NESTED, 1)[0].lower()!r}; expected one of "
            f"{sorted(Settings.model_fields)}"
        )
    if path is not None:
        try:
            raw = yaml.safe_load(path.read_text())
        except yaml.YAMLError as exc:
            raise ConfigError(f"{path}: not valid YAML: {exc}") from None
        except OSError as exc:
            raise ConfigError(f"{path}: cannot read the settings file ({exc.strerror})") from None
        if raw is not None and not isinstance(raw, dict):
            raise ConfigError(f"{path}: expected a mapping at the top level")
    token = _SOURCES.set((path, env, base))
    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(_problem(err, env) for err in exc.errors())
        raise ConfigError(f"{where}: {problems}") from None
    except yaml.YAMLError as exc:  # an environment value that is not YAML
        raise ConfigError(f"{where}: an environment value is not valid YAML: {exc}") from None
    finally:
        _SOURCES.reset(token)


@lru_cache(maxsize=1)
def settings() -> Settings:
    """The process-wide settings (cached: a step process reads them once)."""
    return load_settings()
