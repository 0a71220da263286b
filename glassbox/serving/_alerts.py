"""Active alerts of the server (``GET /alerts``), and their routing through glassbox.alerts.

The same conditions as the Prometheus rules in ``k8s/prometheus/`` (so a cluster without
Prometheus still gets them), evaluated on the server's own windows: latency percentiles and the
error rate of the last ``evaluation_seconds``, throughput against its bounds, and the live drift
severities. Each active alert remembers since when it is active. When Slack or PagerDuty is
configured (``SLACK_WEBHOOK_URL`` / ``PAGERDUTY_ROUTING_KEY``), new, escalated and resolved
alerts go through ``AlertRouter`` (outbox, dedupe, cooldown) on a background thread.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from glassbox.alerts import RUNBOOK_PATH, Alert, runbook_anchor

if TYPE_CHECKING:
    from glassbox.serving._drift_window import LiveDrift
    from glassbox.serving._latency import LatencySummary
    from glassbox.serving._settings import SloSettings

log = logging.getLogger("glassbox.serving")


@dataclass(frozen=True)
class ActiveAlert:
    check: str
    severity: str
    summary: str
    feature: str | None = None
    value: float | None = None
    threshold: float | None = None

    @property
    def key(self) -> tuple[str, str | None]:
        return self.check, self.feature


def evaluate(
    slo: SloSettings, latency: LatencySummary, drift: LiveDrift | None, recent_rps: float | None
) -> list[ActiveAlert]:
    """The alerts these observations raise (empty when everything is within bounds)."""
    out: list[ActiveAlert] = []
    enough = latency.requests >= slo.min_requests
    if enough and latency.p99_ms is not None and latency.p99_ms > slo.p99_ms:
        out.append(
            ActiveAlert(
                "serving_latency",
                "critical",
                f"p99 latency {latency.p99_ms:.1f} ms > {slo.p99_ms:g} ms",
                "p99",
                latency.p99_ms,
                slo.p99_ms,
            )
        )
    elif enough and latency.p95_ms is not None and latency.p95_ms > slo.p95_ms:
        out.append(
            ActiveAlert(
                "serving_latency",
                "warning",
                f"p95 latency {latency.p95_ms:.1f} ms > {slo.p95_ms:g} ms",
                "p95",
                latency.p95_ms,
                slo.p95_ms,
            )
        )
    rate = latency.error_rate
    if enough and rate is not None and rate > slo.error_rate_warning:
        critical = rate > slo.error_rate_critical
        limit = slo.error_rate_critical if critical else slo.error_rate_warning
        out.append(
            ActiveAlert(
                "serving_errors",
                "critical" if critical else "warning",
                f"error rate {rate:.2%} > {limit:.2%} of {latency.requests} requests",
                None,
                rate,
                limit,
            )
        )
    out += _throughput(slo, recent_rps)
    out += _drift(drift)
    return out


def _throughput(slo: SloSettings, rps: float | None) -> list[ActiveAlert]:
    if rps is None:
        return []
    low, high = slo.throughput_min_rps, slo.throughput_max_rps
    if low is not None and rps < low:
        return [
            ActiveAlert(
                "serving_throughput",
                "warning",
                f"throughput {rps:.1f} req/s below {low:g}",
                "low",
                rps,
                low,
            )
        ]
    if high is not None and rps > high:
        return [
            ActiveAlert(
                "serving_throughput",
                "warning",
                f"throughput {rps:.1f} req/s above {high:g}",
                "high",
                rps,
                high,
            )
        ]
    return []


def _drift(drift: LiveDrift | None) -> list[ActiveAlert]:
    if drift is None or drift.result is None or not drift.graded:
        return []
    out = []
    for f in drift.result.flagged():
        check = "prediction_drift" if f.kind == "prediction" else "data_drift"
        out.append(
            ActiveAlert(
                check,
                f.severity,
                f"live drift on {f.name}: PSI {f.psi:.3f}, JS {f.js_distance:.3f} "
                f"over the last {drift.rows} rows",
                f.name,
                f.psi,
                None,
            )
        )
    return out


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="seconds")


class AlertBoard:
    """Remembers since when each alert is active; routes changes when a channel is set."""

    def __init__(self, model_label: str, router: Callable[[], Any] | None = None) -> None:
        """``router``: makes an AlertRouter (its SQLite outbox belongs to the thread that
        opens it: each routing thread opens its own and closes it)."""
        self.model_label = model_label
        self._router = router
        self._since: dict[tuple[str, str | None], float] = {}
        self._active: dict[tuple[str, str | None], ActiveAlert] = {}
        self._lock = threading.Lock()

    def update(self, alerts: list[ActiveAlert], now: float | None = None) -> list[dict[str, Any]]:
        stamp = time.time() if now is None else now
        with self._lock:
            current = {a.key: a for a in alerts}
            changed = [
                a
                for k, a in current.items()
                if k not in self._active or self._active[k].severity != a.severity
            ]
            resolved = [a for k, a in self._active.items() if k not in current]
            for key in current:
                self._since.setdefault(key, stamp)
            for alert in resolved:
                self._since.pop(alert.key, None)
            self._active = current
            listed = [self._entry(a) for a in current.values()]
        if self._router is not None and (changed or resolved):
            threading.Thread(
                target=self._route,
                args=(changed, resolved),
                name="glassbox-alert-route",
                daemon=True,
            ).start()
        return listed

    def _entry(self, alert: ActiveAlert) -> dict[str, Any]:
        return {
            "check": alert.check,
            "severity": alert.severity,
            "feature": alert.feature,
            "summary": alert.summary,
            "value": alert.value,
            "threshold": alert.threshold,
            "active_since": _iso(self._since[alert.key]),
            "runbook": f"{RUNBOOK_PATH}#{runbook_anchor(alert.check)}",
        }

    def _route(self, changed: list[ActiveAlert], resolved: list[ActiveAlert]) -> None:
        items = [
            Alert(
                model=self.model_label,
                check=a.check,
                feature=a.feature,
                severity=a.severity,
                summary=a.summary,
            )
            for a in changed
        ] + [
            Alert(
                model=self.model_label,
                check=a.check,
                feature=a.feature,
                severity="none",
                summary=f"recovered: {a.summary}",
            )
            for a in resolved
        ]
        try:
            assert self._router is not None
            with self._router() as router:
                router.send(items)
        except Exception as exc:  # delivery problems are the outbox's business
            log.warning("alerts: routing failed: %s", exc)
