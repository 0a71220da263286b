"""Live drift: the last N served rows against the reference profile logged with the model.

The window is a ring buffer of the model-ready feature columns and the model's output; drift
is computed by the same ``DriftCalculator`` the monitoring cron uses (same profile, same
statistics, same thresholds and Benjamini-Hochberg-gated severities), so traffic that the cron
would flag is flagged here too. Below ``min_rows`` the statistics are reported but not graded
(as the cron does for small partitions). Feature values live only in memory, never on disk.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import numpy as np

from glassbox.drift import DriftCalculator, DriftThresholds

if TYPE_CHECKING:
    from glassbox.drift import DriftResult, ReferenceProfile
    from glassbox.serving._offload import Offload
    from glassbox.serving._settings import DriftWindowSettings

_STATS = (
    "psi",
    "js_distance",
    "ks_statistic",
    "chi2_statistic",
    "wasserstein_normalized",
    "p_value_adjusted",
)


def _num(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="milliseconds")


@dataclass(frozen=True)
class LiveDrift:
    """One computation of the window's drift (what ``GET /drift`` returns)."""

    result: DriftResult | None
    rows: int
    graded: bool
    start: float | None
    end: float | None
    computed_at: float
    version: int

    def severity_of(self, name: str) -> str:
        if self.result is None or not self.graded:
            return "none"
        return self.result[name].severity

    def flagged(self, kind: str = "feature") -> list[str]:
        if self.result is None or not self.graded:
            return []
        return [f.name for f in self.result.flagged() if f.kind == kind]

    def to_json(self, window: int, min_rows: int) -> dict[str, Any]:
        features = []
        for f in self.result.features if self.result is not None else ():
            entry: dict[str, Any] = {"name": f.name, "kind": f.kind, "dtype": f.dtype}
            entry |= {k: _num(f.statistic(k)) for k in _STATS}
            entry["n_current"] = f.n_current
            entry["severity"] = f.severity if self.graded else "none"
            entry["reasons"] = list(f.reasons) if self.graded else []
            features.append(entry)
        return {
            "window": {
                "rows": self.rows,
                "capacity": window,
                "min_rows": min_rows,
                "graded": self.graded,
                "start": _iso(self.start) if self.start else None,
                "end": _iso(self.end) if self.end else None,
                "span_seconds": (self.end - self.start) if self.start and self.end else 0.0,
            },
            "drifted": self.flagged("feature"),
            "prediction_drifted": self.flagged("prediction"),
            "features": features,
            "reference_fingerprint": self.result.reference_fingerprint if self.result else None,
            "computed_at": _iso(self.computed_at),
        }


class DriftWindow:
    """Thread-safe ring buffer of served rows + the drift computation over it."""

    def __init__(
        self,
        profile: ReferenceProfile,
        settings: DriftWindowSettings,
        thresholds: DriftThresholds | dict[str, Any] | None = None,
        offload: Offload | None = None,
    ) -> None:
        self.settings = settings
        self._offload = offload
        self.calculator = DriftCalculator.from_profile(
            profile, DriftThresholds.parse(thresholds), threads=1
        )
        predictions = [c.name for c in profile.columns if c.kind == "prediction"]
        self.prediction_column = predictions[0] if predictions else None
        self.names = [c.name for c in profile.columns if c.kind == "feature"]
        self._categorical = {c.name for c in profile.columns if c.dtype == "categorical"}
        n = settings.window_rows
        self._columns: dict[str, np.ndarray] = {
            name: np.empty(n, dtype=object if name in self._categorical else np.float64)
            for name in [*self.names, *predictions]
        }
        self._times = np.zeros(n, dtype=np.float64)
        self._pos = 0
        self._size = 0
        self._version = 0
        self._lock = threading.Lock()
        self._last: LiveDrift | None = None

    @property
    def rows(self) -> int:
        return self._size

    @property
    def version(self) -> int:
        return self._version

    def add(
        self, columns: dict[str, np.ndarray], proba: np.ndarray, now: float | None = None
    ) -> None:
        """Append a batch's rows (columns as the model saw them, and its probabilities)."""
        n = len(proba)
        if n == 0:
            return
        cap = self.settings.window_rows
        values = {name: columns[name] for name in self.names}
        if self.prediction_column is not None:
            values[self.prediction_column] = proba
        stamp = time.time() if now is None else now
        with self._lock:
            take = min(n, cap)
            idx = (self._pos + np.arange(take)) % cap
            for name, column in values.items():
                self._columns[name][idx] = column[n - take :]
            self._times[idx] = stamp
            self._pos = (self._pos + take) % cap
            self._size = min(cap, self._size + take)
            self._version += 1

    def clear(self) -> None:
        with self._lock:
            self._pos = self._size = 0
            self._version += 1

    def _snapshot(self) -> tuple[dict[str, np.ndarray], np.ndarray, int]:
        with self._lock:
            cap, size = self.settings.window_rows, self._size
            order = (self._pos - size + np.arange(size)) % cap
            data = {name: column[order] for name, column in self._columns.items()}
            return data, self._times[order], self._version

    def compute(self, force: bool = False) -> LiveDrift:
        """The drift of the window now (cached until the window changes)."""
        last = self._last
        if last is not None and last.version == self._version and not force:
            return last
        data, times, version = self._snapshot()
        rows = len(times)
        result = None
        if rows and self._offload is not None:
            result = self._offload.call(_calculate, self.calculator, data)
        elif rows:
            result = _calculate(self.calculator, data)
        live = LiveDrift(
            result=result,
            rows=rows,
            graded=rows >= self.settings.min_rows,
            start=float(times.min()) if rows else None,
            end=float(times.max()) if rows else None,
            computed_at=time.time(),
            version=version,
        )
        self._last = live
        return live


def _calculate(calculator: DriftCalculator, data: dict[str, np.ndarray]) -> DriftResult:
    """The window's drift (in the background process when there is one: see
    ``glassbox.serving._offload``)."""
    import pandas as pd

    return calculator.calculate(pd.DataFrame(data))
