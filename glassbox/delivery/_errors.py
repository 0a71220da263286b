"""Errors of progressive delivery: one line each, naming what is wrong and what was expected."""

from __future__ import annotations

from glassbox.errors import GlassboxError


class DeliveryError(GlassboxError):
    """A lifecycle action cannot be done (no challenger, nothing to roll back to, unknown model)."""


class AnalysisInputError(DeliveryError):
    """Analysis input is unusable: a shadow-log record, a Prometheus answer, a targets file."""


class TriggerError(DeliveryError):
    """A trigger rule or its state is invalid."""
