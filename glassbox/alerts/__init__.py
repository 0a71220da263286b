"""Alerting: one router for Slack, PagerDuty and the desktop, behind a persistent outbox.

Typical monitoring run::

    router = AlertRouter.from_env()          # SLACK_WEBHOOK_URL, PAGERDUTY_ROUTING_KEY
    router.flush()                           # deliver what earlier runs could not
    report = router.send([Alert(model="car-loan", check="data_drift", feature="car_value",
                                severity="critical", summary="PSI 0.31 > 0.2")])

Delivery is at-least-once: an alert is written to the SQLite outbox before it is sent and
marked after the receiver accepted it, so a crash between the two re-sends it once on the next
flush; PagerDuty folds such a duplicate into the same incident by its ``dedup_key``.
"""

from glassbox.alerts._checks import CHECKS, RUNBOOK_PATH, github_anchor, runbook_anchor
from glassbox.alerts._desktop import DesktopChannel
from glassbox.alerts._email import EmailChannel, EmailSettings, email_message
from glassbox.alerts._errors import (
    AlertConfigError,
    AlertError,
    DeliveryError,
    PermanentDeliveryError,
    RetryableDeliveryError,
)
from glassbox.alerts._model import Alert, Link, Severity, make_dedup_key
from glassbox.alerts._outbox import OpenAlert, OutboxRow, OutboxStatus
from glassbox.alerts._pagerduty import DEFAULT_EVENTS_URL, PagerDutyChannel, pagerduty_event
from glassbox.alerts._policy import Decision, decide
from glassbox.alerts._report import DeliveryFailure, FlushReport, SendReport
from glassbox.alerts._retry import RetryPolicy, parse_retry_after
from glassbox.alerts._router import AlertRouter
from glassbox.alerts._settings import AlertSettings
from glassbox.alerts._slack import SlackChannel, slack_message

__all__ = [
    "CHECKS",
    "DEFAULT_EVENTS_URL",
    "RUNBOOK_PATH",
    "Alert",
    "AlertConfigError",
    "AlertError",
    "AlertRouter",
    "AlertSettings",
    "Decision",
    "DeliveryError",
    "DeliveryFailure",
    "DesktopChannel",
    "EmailChannel",
    "EmailSettings",
    "FlushReport",
    "Link",
    "OpenAlert",
    "OutboxRow",
    "OutboxStatus",
    "PagerDutyChannel",
    "PermanentDeliveryError",
    "RetryPolicy",
    "RetryableDeliveryError",
    "SendReport",
    "Severity",
    "SlackChannel",
    "decide",
    "email_message",
    "github_anchor",
    "make_dedup_key",
    "pagerduty_event",
    "parse_retry_after",
    "runbook_anchor",
    "slack_message",
]
