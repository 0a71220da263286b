"""An alert as ``monitor.json`` lists it (the alerts come from ``glassbox.monitoring.to_alerts``,
the same function the monitoring cron's alert step uses)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from glassbox.alerts import Alert


def as_json(alert: Alert) -> dict[str, Any]:
    """An alert as listed in ``monitor.json``."""
    return {
        "check": alert.check,
        "feature": alert.feature,
        "severity": alert.severity.value,
        "summary": alert.summary,
        "details": alert.details,
        "dedup_key": alert.dedup_key,
        "runbook": alert.runbook_url(),
    }
