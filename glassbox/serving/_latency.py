"""Request latency and outcomes over a window of recent requests (``GET /latency``, /alerts)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class LatencySummary:
    requests: int
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None
    mean_ms: float | None
    max_ms: float | None
    errors: int
    start: float | None
    end: float | None

    @property
    def error_rate(self) -> float | None:
        return self.errors / self.requests if self.requests else None

    @property
    def span_seconds(self) -> float:
        return (self.end - self.start) if self.start is not None and self.end is not None else 0.0

    @property
    def throughput_rps(self) -> float | None:
        span = self.span_seconds
        return self.requests / span if span > 0 else None


class LatencyWindow:
    """Ring buffer of (time, duration, server error?) for the last ``capacity`` requests."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._times = np.zeros(capacity, dtype=np.float64)
        self._seconds = np.zeros(capacity, dtype=np.float64)
        self._errors = np.zeros(capacity, dtype=bool)
        self._pos = 0
        self._size = 0
        self._lock = threading.Lock()

    def add(self, seconds: float, error: bool = False, now: float | None = None) -> None:
        with self._lock:
            i = self._pos
            self._times[i] = time.time() if now is None else now
            self._seconds[i] = seconds
            self._errors[i] = error
            self._pos = (i + 1) % self.capacity
            self._size = min(self.capacity, self._size + 1)

    def add_many(self, seconds: np.ndarray, now: float | None = None) -> None:
        stamp = time.time() if now is None else now
        for value in seconds.tolist()[-self.capacity :]:
            self.add(float(value), False, stamp)

    def summary(self, since: float | None = None) -> LatencySummary:
        """Percentiles of the window (only requests at or after ``since`` when given)."""
        with self._lock:
            size = self._size
            times = self._times[:size].copy()
            seconds = self._seconds[:size].copy()
            errors = self._errors[:size].copy()
        if since is not None:
            keep = times >= since
            times, seconds, errors = times[keep], seconds[keep], errors[keep]
        if not len(seconds):
            return LatencySummary(0, None, None, None, None, None, 0, None, None)
        p50, p95, p99 = (float(v) * 1e3 for v in np.percentile(seconds, [50, 95, 99]))
        return LatencySummary(
            requests=len(seconds),
            p50_ms=p50,
            p95_ms=p95,
            p99_ms=p99,
            mean_ms=float(seconds.mean()) * 1e3,
            max_ms=float(seconds.max()) * 1e3,
            errors=int(errors.sum()),
            start=float(times.min()),
            end=float(times.max()),
        )


def summary_json(summary: LatencySummary, p95_slo_ms: float, p99_slo_ms: float) -> dict[str, Any]:
    def rnd(v: float | None) -> float | None:
        return None if v is None else round(v, 3)

    return {
        "requests": summary.requests,
        "span_seconds": round(summary.span_seconds, 3),
        "p50_ms": rnd(summary.p50_ms),
        "p95_ms": rnd(summary.p95_ms),
        "p99_ms": rnd(summary.p99_ms),
        "mean_ms": rnd(summary.mean_ms),
        "max_ms": rnd(summary.max_ms),
        "throughput_rps": rnd(summary.throughput_rps),
        "error_rate": rnd(summary.error_rate),
        "slo": {
            "p95_ms": p95_slo_ms,
            "p99_ms": p99_slo_ms,
            "p95_met": None if summary.p95_ms is None else summary.p95_ms <= p95_slo_ms,
            "p99_met": None if summary.p99_ms is None else summary.p99_ms <= p99_slo_ms,
        },
    }
