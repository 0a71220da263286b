"""Exceptions raised by ``glassbox.drift`` (one-line messages naming the column, field or file)."""

from __future__ import annotations

from glassbox.errors import ConfigError, DataValidationError, GlassboxError


class DriftError(GlassboxError):
    """Drift could not be profiled or calculated; the message says which column and why."""


class DriftInputError(DriftError, DataValidationError):
    """Reference or current data breaks the contract (missing column, wrong type, no rows...)."""


class DriftConfigError(DriftError, ConfigError):
    """A calculator argument or threshold setting is invalid (names the field)."""
