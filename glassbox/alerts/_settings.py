"""Alert routing settings: the ``alerts:`` section of ``glassbox.yaml`` plus env overrides.

Secrets are not settings: the Slack webhook URLs (``SLACK_WEBHOOK_URL``, and per severity
``SLACK_WEBHOOK_URL_WARNING`` / ``SLACK_WEBHOOK_URL_CRITICAL``), the PagerDuty routing key
(``PAGERDUTY_ROUTING_KEY``) and the SMTP login (``SMTP_USERNAME`` / ``SMTP_PASSWORD``) are read
from the environment (a Kubernetes Secret on a cluster) by :meth:`AlertRouter.from_env` and
never pass through this model.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from glassbox.alerts._checks import RUNBOOK_PATH
from glassbox.alerts._email import EmailSettings
from glassbox.alerts._errors import AlertConfigError
from glassbox.alerts._pagerduty import DEFAULT_EVENTS_URL
from glassbox.alerts._retry import RetryPolicy


class AlertSettings(BaseModel):
    """Every knob of the router, with production defaults."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    state_dir: Path | None = Field(None, description="default: $GLASSBOX_HOME/alerts")
    local: bool = Field(False, description="desktop/terminal only, even if Slack is configured")
    cooldown_seconds: float = Field(6 * 3600, ge=0)
    runbook_url: str = Field(RUNBOOK_PATH, min_length=1)
    pagerduty_events_url: str = DEFAULT_EVENTS_URL
    source: str = Field("glassbox", min_length=1, description="PagerDuty payload.source")
    http_timeout_seconds: float = Field(10.0, gt=0)
    flush_budget_seconds: float = Field(300.0, gt=0)
    lock_timeout_seconds: float = Field(60.0, ge=0)
    retention_days: float = Field(30.0, gt=0)
    stale_after_seconds: float = Field(3600.0, gt=0)
    retry: RetryPolicy = RetryPolicy()
    email: EmailSettings | None = Field(None, description="SMTP channel (off when not set)")

    @property
    def cooldown(self) -> timedelta:
        return timedelta(seconds=self.cooldown_seconds)

    def resolved_state_dir(self, environ: Mapping[str, str] | None = None) -> Path:
        if self.state_dir is not None:
            return self.state_dir
        env = os.environ if environ is None else environ
        return Path(env.get("GLASSBOX_HOME") or ".glassbox") / "alerts"

    @classmethod
    def load(
        cls,
        section: Mapping[str, Any] | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> AlertSettings:
        """Validate ``section`` with the ``GLASSBOX_ALERTS__<KEY>[__<SUBKEY>]`` overrides
        applied, by the one settings loader (``glassbox.config``)."""
        from glassbox.config import load_section
        from glassbox.errors import ConfigError

        try:
            loaded: AlertSettings = load_section("alerts", section, environ)
        except ConfigError as exc:
            raise AlertConfigError(f"invalid alert settings: {exc}") from None
        return loaded
