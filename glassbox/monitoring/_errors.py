"""Exceptions raised by ``glassbox.monitoring`` (one-line messages naming the column/field/file)."""

from __future__ import annotations

from glassbox.errors import ConfigError, DataValidationError, GlassboxError


class MonitoringError(GlassboxError):
    """A monitoring adapter (NannyML, Evidently) failed; the message says which step and why."""


class MonitoringInputError(MonitoringError, DataValidationError):
    """Reference, predictions or targets break the contract (missing column, bad value...)."""


class MonitoringConfigError(MonitoringError, ConfigError):
    """A monitoring setting is invalid (names the field and what was expected)."""
