"""Exceptions raised by ``glassbox.check`` (one-line messages naming the file, column or option)."""

from __future__ import annotations

from glassbox.errors import ConfigError, DataValidationError, GlassboxError


class CheckError(GlassboxError):
    """The ad-hoc check could not run; the message says which stage failed and why."""


class CheckInputError(CheckError, DataValidationError):
    """The reference or current data cannot be used (no rows, no common columns, a role column
    that is not there...); the message names the file and the column."""


class CheckConfigError(CheckError, ConfigError):
    """An option of the check is invalid (names the option and what was expected)."""
