"""A real Prometheus server holding simulated serving metrics of two model versions.

The series (names and labels from /work/team/CONTRACTS.md) are written as OpenMetrics text with
timestamps, turned into TSDB blocks by ``promtool tsdb create-blocks-from openmetrics`` (the
documented backfilling path) and served by the ``prometheus`` binary on 127.0.0.1. Queries are
then evaluated at a fixed time, so the tests do not depend on scrape timing.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import numpy as np

LATENCY_BOUNDS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
SCORE_BOUNDS = tuple(round(0.05 * i, 2) for i in range(1, 21))
STEP = 15  # seconds between samples, as a 15 s scrape interval would record them


@dataclass(frozen=True)
class Traffic:
    """One version's simulated traffic: requests per step, error rate, latency, score shape."""

    version: str
    requests_per_step: int = 60
    error_rate: float = 0.01
    latency_median: float = 0.008
    latency_sigma: float = 0.45
    score_shift: float = 0.0


def _fmt(value: float) -> str:
    return repr(float(value)) if not float(value).is_integer() else str(int(value))


def openmetrics(
    traffic: list[Traffic], end: int, minutes: int, model: str = "car-loan-default", seed: int = 0
) -> str:
    """Cumulative counters and histograms sampled every STEP seconds up to ``end``."""
    rng = np.random.default_rng(seed)
    start = end - minutes * 60
    families: dict[str, list[str]] = {
        "glassbox_serving_predictions_total": [],
        "glassbox_serving_request_duration_seconds": [],
        "glassbox_serving_prediction_score": [],
    }
    for t in traffic:
        labels = f'model_name="{model}",model_version="{t.version}"'
        ok = err = 0
        lat = np.zeros(len(LATENCY_BOUNDS) + 1, dtype=np.int64)
        score = np.zeros(len(SCORE_BOUNDS) + 1, dtype=np.int64)
        lat_sum = score_sum = 0.0
        for stamp in range(start, end + 1, STEP):
            n = t.requests_per_step
            errors = int(rng.binomial(n, t.error_rate))
            ok, err = ok + n - errors, err + errors
            latencies = rng.lognormal(np.log(t.latency_median), t.latency_sigma, n)
            lat += np.bincount(np.searchsorted(LATENCY_BOUNDS, latencies), minlength=lat.size)
            lat_sum += float(latencies.sum())
            scores = 1 / (1 + np.exp(-(rng.normal(0, 2, n - errors) + t.score_shift)))
            score += np.bincount(np.searchsorted(SCORE_BOUNDS, scores), minlength=score.size)
            score_sum += float(scores.sum())
            ts = str(stamp)
            predictions = families["glassbox_serving_predictions_total"]
            predictions.append(
                f'glassbox_serving_predictions_total{{{labels},status="ok"}} {ok} {ts}'
            )
            predictions.append(
                f'glassbox_serving_predictions_total{{{labels},status="error"}} {err} {ts}'
            )
            families["glassbox_serving_request_duration_seconds"] += _histogram(
                "glassbox_serving_request_duration_seconds",
                f'{labels},endpoint="/predict"',
                LATENCY_BOUNDS,
                lat,
                total=lat_sum,
                ts=ts,
            )
            families["glassbox_serving_prediction_score"] += _histogram(
                "glassbox_serving_prediction_score",
                labels,
                SCORE_BOUNDS,
                score,
                total=score_sum,
                ts=ts,
            )
    out = []
    for name, lines in families.items():
        kind = "counter" if name.endswith("_total") else "histogram"
        family = name.removesuffix("_total") if kind == "counter" else name
        out += [f"# TYPE {family} {kind}", *lines]
    return "\n".join([*out, "# EOF"]) + "\n"


def _histogram(
    name: str,
    labels: str,
    bounds: tuple[float, ...],
    counts: np.ndarray,
    *,
    total: float,
    ts: str,
) -> list[str]:
    cumulative = np.cumsum(counts)
    lines = [
        f'{name}_bucket{{{labels},le="{_fmt(b)}"}} {c} {ts}'
        for b, c in zip(bounds, cumulative[:-1], strict=True)
    ]
    lines.append(f'{name}_bucket{{{labels},le="+Inf"}} {cumulative[-1]} {ts}')
    lines.append(f"{name}_count{{{labels}}} {cumulative[-1]} {ts}")
    lines.append(f"{name}_sum{{{labels}}} {total!r} {ts}")
    return lines


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def prometheus_server(text: str, root: Path) -> Iterator[str]:
    """Backfill ``text`` into a fresh TSDB and serve it; yields the server's URL."""
    for tool in ("promtool", "prometheus"):
        if shutil.which(tool) is None:
            raise RuntimeError(f"{tool} not found: install the Debian package 'prometheus'")
    data = root / "tsdb"
    (root / "series.om").write_text(text)
    subprocess.run(
        [
            "promtool",
            "tsdb",
            "create-blocks-from",
            "openmetrics",
            str(root / "series.om"),
            str(data),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    (root / "prometheus.yml").write_text("global:\n  scrape_interval: 1h\nscrape_configs: []\n")
    port = _free_port()
    log = (root / "prometheus.log").open("w")
    process = subprocess.Popen(
        [
            "prometheus",
            f"--config.file={root / 'prometheus.yml'}",
            f"--storage.tsdb.path={data}",
            "--storage.tsdb.retention.time=100y",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/-/ready", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    f"prometheus did not start: {(root / 'prometheus.log').read_text()}"
                )
            time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=30)
        log.close()
