"""The check's settings: input files, role columns and thresholds (one frozen, validated model).

Thresholds default to the project settings (``monitoring.drift_thresholds``,
``monitoring.quality`` and ``monitoring.nannyml`` of ``mlruns_config/glassbox.yaml``), so an
ad-hoc check grades exactly as the monitoring cron does.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from glassbox.check._errors import CheckConfigError
from glassbox.drift import DriftThresholds
from glassbox.monitoring import MonitoringSettings, MonitorSettings
from glassbox.quality import QualityThresholds

DEFAULT_EVIDENTLY_ROWS = 50_000


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Roles(_Frozen):
    """Columns that are not features. Each, when named, is left out of the features.

    ``target`` must be in the reference (labels of the current data are optional: missing
    means not arrived yet); the others must be in both files.
    """

    target: str | None = Field(None, min_length=1)
    proba: str | None = Field(None, min_length=1)
    prediction: str | None = Field(None, min_length=1)
    timestamp: str | None = Field(None, min_length=1)
    id: str | None = Field(None, min_length=1)

    @model_validator(mode="after")
    def _distinct(self) -> Roles:
        seen: dict[str, str] = {}
        for role, column in self.named().items():
            if column in seen:
                raise ValueError(f"column {column!r} is given as --{seen[column]} and --{role}")
            seen[column] = role
        return self

    def named(self) -> dict[str, str]:
        """``{role: column}`` for the roles that were given, in option order."""
        values = {
            "target": self.target,
            "proba": self.proba,
            "prediction": self.prediction,
            "timestamp": self.timestamp,
            "id": self.id,
        }
        return {role: column for role, column in values.items() if column is not None}

    @property
    def performance(self) -> bool:
        """Performance needs the target and the probability (classification) or a numeric
        prediction (regression)."""
        return self.target is not None and (self.proba is not None or self.prediction is not None)

    @property
    def outputs(self) -> tuple[str, ...]:
        """The model's output columns, checked for prediction drift."""
        return tuple(c for c in (self.proba, self.prediction) if c is not None)


class MonitorOptions(_Frozen):
    """How to check (the files are arguments of ``run_monitor``); :meth:`create` validates
    with one-line errors naming the option."""

    roles: Roles = Roles()
    report: bool = True
    evidently_rows: int = Field(DEFAULT_EVIDENTLY_ROWS, ge=100)
    chunk_size: int | None = Field(None, ge=1)
    model: str = Field("ad-hoc", min_length=1, max_length=200)
    seed: int = 0
    settings: MonitoringSettings = MonitoringSettings()

    @property
    def drift_thresholds(self) -> DriftThresholds:
        return self.settings.drift_thresholds

    @property
    def quality_thresholds(self) -> QualityThresholds:
        return self.settings.quality

    @property
    def nannyml(self) -> MonitorSettings:
        return self.settings.nannyml

    @classmethod
    def create(cls, **values: Any) -> MonitorOptions:
        """Validate ``values`` (``roles`` may be a mapping); a bad one raises
        ``CheckConfigError`` naming the option."""
        try:
            if isinstance(values.get("roles"), dict):
                values["roles"] = Roles(**values["roles"])
            return cls(**values)
        except ValidationError as exc:
            first = exc.errors()[0]
            names = [str(part) for part in first["loc"] if part != "roles"]
            where = "--" + "-".join(names).replace("_", "-") + ": " if names else ""
            message = str(first["msg"]).removeprefix("Value error, ")
            raise CheckConfigError(f"{where}{message}") from None

    @classmethod
    def from_settings(
        cls, monitoring: MonitoringSettings | Mapping[str, Any], **values: Any
    ) -> MonitorOptions:
        """Options whose thresholds come from the settings' ``monitoring`` section (typed, or a
        mapping validated here: a bad key raises ``CheckConfigError`` naming it)."""
        if not isinstance(monitoring, MonitoringSettings):
            try:
                monitoring = MonitoringSettings.model_validate(dict(monitoring))
            except ValidationError as exc:
                first = exc.errors()[0]
                where = ".".join(str(part) for part in first["loc"])
                message = str(first["msg"]).removeprefix("Value error, ")
                raise CheckConfigError(f"settings: monitoring.{where}: {message}") from None
        return cls.create(settings=monitoring, **values)
