"""The library's exceptions: one base class, one subclass per kind of failure a user can act on."""

from __future__ import annotations


class GlassboxError(Exception):
    """Base class of every error Glassbox raises on purpose; the CLI prints its message only."""


class ConfigError(GlassboxError):
    """A setting is missing or invalid (names the setting and what was expected)."""


class DataValidationError(GlassboxError):
    """Input data breaks the contract (names the file, the column and what was expected)."""


class TrackingError(GlassboxError):
    """MLflow state needed by a step is missing or inconsistent (e.g. no champion model)."""
