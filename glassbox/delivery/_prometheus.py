"""Evidence from a live canary through the Prometheus HTTP API (``/api/v1/query``).

The serving metrics are those of /work/team/CONTRACTS.md (every family labelled ``model_name``
and ``model_version``): prediction counts by status, the request-duration histogram of the
predict endpoint and the prediction-score histogram, each summed per version over the window
with ``increase()``. ``increase`` extrapolates to the window's edges, so counts are rounded to
whole numbers before the tests (a difference of a fraction of a request per bucket).
"""

from __future__ import annotations

import math
import os
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

from glassbox.delivery._errors import AnalysisInputError
from glassbox.delivery._evidence import Evidence, Histogram
from glassbox.delivery._settings import PrometheusSettings, duration_seconds

PREDICTIONS = "glassbox_serving_predictions_total"
DURATION = "glassbox_serving_request_duration_seconds_bucket"
SCORE = "glassbox_serving_prediction_score_bucket"
TOKEN_ENV = "PROMETHEUS_BEARER_TOKEN"  # noqa: S105  (the variable's name, not a secret)


class PrometheusClient:
    """Instant queries against one Prometheus server (bounded by the timeout)."""

    def __init__(self, url: str, timeout: float = 10.0) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout

    def query(self, expr: str, at: datetime) -> list[dict[str, Any]]:
        import httpx

        headers = {"Accept": "application/json"}
        token = os.environ.get(TOKEN_ENV, "").strip()
        if token:
            headers["Authorization"] = f"Bearer {token}"
        params = {"query": expr, "time": f"{at.timestamp():.3f}"}
        try:
            response = httpx.get(
                f"{self.url}/api/v1/query", params=params, headers=headers, timeout=self.timeout
            )
        except httpx.HTTPError as exc:
            raise AnalysisInputError(f"cannot reach Prometheus at {self.url}: {exc}") from None
        return self._result(response, expr)

    def _result(self, response: Any, expr: str) -> list[dict[str, Any]]:
        try:
            body = response.json()
        except ValueError:
            raise AnalysisInputError(
                f"Prometheus at {self.url} answered HTTP {response.status_code} without JSON"
            ) from None
        if body.get("status") != "success":
            raise AnalysisInputError(
                f"Prometheus at {self.url} rejected the query ({body.get('errorType', 'error')}:"
                f" {body.get('error', response.status_code)}): {expr}"
            )
        data = body.get("data") or {}
        if data.get("resultType") != "vector":
            raise AnalysisInputError(
                f"Prometheus answered a {data.get('resultType')!r}, expected an instant vector"
            )
        return list(data.get("result") or [])


def _selector(model: str, versions: tuple[str, str], extra: str = "") -> str:
    quoted = "|".join(_escape_regex(v) for v in versions)
    return f'{{model_name="{_escape(model)}",model_version=~"{quoted}"{extra}}}'


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')


def _escape_regex(value: str) -> str:
    import re

    return _escape(re.escape(value))


def _number(sample: dict[str, Any]) -> float:
    value = float(sample["value"][1])
    return value if math.isfinite(value) else 0.0


def _counts(
    rows: list[dict[str, Any]], versions: tuple[str, str], label: str
) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {v: {} for v in versions}
    for row in rows:
        metric = row.get("metric", {})
        version, key = metric.get("model_version"), metric.get(label)
        if version in out and key is not None:
            out[version][key] = out[version].get(key, 0.0) + _number(row)
    return out


def _histogram(
    rows: list[dict[str, Any]], versions: tuple[str, str], what: str
) -> Histogram | None:
    """Per-bucket counts from cumulative ``le`` series (``+Inf`` last), rounded."""
    cumulative = _counts(rows, versions, "le")
    bounds = sorted({le for per in cumulative.values() for le in per if le != "+Inf"}, key=float)
    if not bounds:
        return None
    per_version = []
    for version in versions:
        series = cumulative[version]
        values = [series.get(le, 0.0) for le in [*bounds, "+Inf"]]
        if series and "+Inf" not in series:
            raise AnalysisInputError(f"{what}: version {version} has no '+Inf' bucket")
        steps = np.diff(np.concatenate([[0.0], np.maximum.accumulate(values)]))
        per_version.append(np.rint(steps).astype(np.int64))
    return Histogram(np.array([float(b) for b in bounds]), per_version[0], per_version[1])


def prometheus_evidence(
    client: PrometheusClient,
    conf: PrometheusSettings,
    model: str,
    champion: str,
    challenger: str,
    *,
    at: datetime | None = None,
    window: str | None = None,
) -> Evidence:
    """Counts and histograms of both versions over ``window`` ending at ``at`` (default now)."""
    at = at or datetime.now(UTC)
    span = window or conf.window
    seconds = duration_seconds(span)
    versions = (champion, challenger)
    endpoint = f',endpoint="{_escape(conf.endpoint)}"'
    status = _counts(
        client.query(
            f"sum by (model_version, status) "
            f"(increase({PREDICTIONS}{_selector(model, versions)}[{span}]))",
            at,
        ),
        versions,
        "status",
    )
    errors: list[int] = []
    for version in versions:
        by_status = status[version]
        errors += [round(by_status.get("error", 0.0)), round(sum(by_status.values()))]
    latency = _histogram(
        client.query(
            f"sum by (model_version, le) "
            f"(increase({DURATION}{_selector(model, versions, endpoint)}[{span}]))",
            at,
        ),
        versions,
        DURATION,
    )
    scores = _histogram(
        client.query(
            f"sum by (model_version, le) (increase({SCORE}{_selector(model, versions)}[{span}]))",
            at,
        ),
        versions,
        SCORE,
    )
    none = f"no {{}} of model {model} v{champion}/v{challenger} in Prometheus over the last {span}"
    labels = "needs per-prediction ids joined with targets: Prometheus has counts only"
    return Evidence(
        source="prometheus",
        model=model,
        champion_version=champion,
        challenger_version=challenger,
        window_start=at - timedelta(seconds=seconds),
        window_end=at,
        errors=(errors[0], errors[1], errors[2], errors[3]) if min(errors[1::2]) > 0 else None,
        latency_hist=latency,
        scores_hist=scores,
        notes={
            "error_rate": none.format(PREDICTIONS),
            "latency_p95": none.format(DURATION),
            "latency_p99": none.format(DURATION),
            "score_shift": none.format(SCORE),
            "accuracy": labels,
            "roc_auc": labels,
        },
    )
