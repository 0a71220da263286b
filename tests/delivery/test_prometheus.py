"""Canary analysis from a real Prometheus server (HTTP API), on the CONTRACTS metric names."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from glassbox.cli import app
from glassbox.delivery import AnalysisInputError, AnalysisSettings, analyze
from glassbox.delivery._prometheus import PrometheusClient, prometheus_evidence
from glassbox.delivery._settings import PrometheusSettings
from glassbox.delivery._stats import histogram_quantile

from ._prometheus import Traffic, openmetrics, prometheus_server

END = int(time.time()) - 300  # data ends 5 minutes ago: queries are evaluated there
AT = datetime.fromtimestamp(END, UTC)
MODEL = "car-loan-default"
CONF = PrometheusSettings(url="http://unused", window="30m")


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    traffic = [
        Traffic("1"),  # the champion
        Traffic("2"),  # an identical challenger
        Traffic("3", error_rate=0.02),  # twice the errors
        Traffic("4", latency_median=0.012),  # 50% slower
    ]
    text = openmetrics(traffic, END, minutes=40, model=MODEL, seed=7)
    with prometheus_server(text, tmp_path_factory.mktemp("prometheus")) as url:
        yield url


def _analysis(url: str, challenger: str) -> object:
    evidence = prometheus_evidence(PrometheusClient(url), CONF, MODEL, "1", challenger, at=AT)
    return analyze(evidence, AnalysisSettings())


def test_histogram_quantiles_match_prometheus_histogram_quantile(prometheus: str) -> None:
    evidence = prometheus_evidence(PrometheusClient(prometheus), CONF, MODEL, "1", "4", at=AT)
    assert evidence.latency_hist is not None
    for q in (0.5, 0.95, 0.99):
        for version, counts in (
            ("1", evidence.latency_hist.champion),
            ("4", evidence.latency_hist.challenger),
        ):
            expr = (
                f"histogram_quantile({q}, sum by (le) (increase("
                f'glassbox_serving_request_duration_seconds_bucket{{model_version="{version}"}}[30m])))'
            )
            body = httpx.get(
                f"{prometheus}/api/v1/query", params={"query": expr, "time": END}, timeout=10
            ).json()
            theirs = float(body["data"]["result"][0]["value"][1])
            ours = float(histogram_quantile(evidence.latency_hist.bounds, counts, q)[0])
            assert ours == pytest.approx(theirs, rel=0.01), (q, version)
    assert evidence.errors is not None
    assert min(evidence.errors[1], evidence.errors[3]) >= 7000  # ~30 min x 4 requests/s


def test_identical_challenger_is_not_rolled_back_and_label_criteria_say_why_not(
    prometheus: str,
) -> None:
    found = _analysis(prometheus, "2")
    assert found.verdict == "promote", found.summary()
    assert found.criterion("error_rate").status == "pass"
    assert found.criterion("latency_p99").status == "pass"
    assert found.criterion("score_shift").status == "pass"
    assert found.criterion("roc_auc").status == "skipped"
    assert "Prometheus has counts only" in found.criterion("roc_auc").reason
    assert found.criterion("agreement").status == "skipped"


def test_doubled_error_rate_is_rolled_back_with_the_reason(prometheus: str) -> None:
    found = _analysis(prometheus, "3")
    assert found.verdict == "rollback"
    assert found.criterion("error_rate").status == "fail"
    assert any(r.startswith("error_rate: challenger significantly worse") for r in found.reasons)
    assert found.criterion("error_rate").challenger == pytest.approx(0.02, abs=0.005)


def test_slower_challenger_is_rolled_back_on_latency(prometheus: str) -> None:
    found = _analysis(prometheus, "4")
    assert found.verdict == "rollback"
    assert found.criterion("latency_p95").status == "fail"
    assert found.criterion("error_rate").status == "pass"


def test_a_version_without_traffic_means_continue(prometheus: str) -> None:
    found = _analysis(prometheus, "9")
    assert found.verdict == "continue"
    assert found.criterion("error_rate").status == "skipped"
    assert "no glassbox_serving_predictions_total" in found.criterion("error_rate").reason


def test_unreachable_or_refusing_prometheus_is_a_clear_error(prometheus: str) -> None:
    port_closed = PrometheusClient("http://127.0.0.1:9", timeout=2)
    with pytest.raises(AnalysisInputError, match=r"cannot reach Prometheus at http://127.0.0.1:9"):
        prometheus_evidence(port_closed, CONF, MODEL, "1", "2", at=AT)
    with pytest.raises(AnalysisInputError, match=r"rejected the query \(bad_data: .*\): sum\("):
        PrometheusClient(prometheus).query("sum(", AT)


@pytest.mark.parametrize(
    ("challenger", "extra", "code", "verdict"),
    [
        ("2", [], 0, "PROMOTE"),
        ("3", [], 1, "ROLLBACK"),
        ("9", [], 3, "CONTINUE"),
        ("9", ["--continue-exit-code", "0"], 0, "CONTINUE"),
    ],
)
def test_cli_exit_codes_follow_the_verdict(
    prometheus: str,
    glassbox_home: Path,
    challenger: str,
    extra: list[str],
    *,
    code: int,
    verdict: str,
) -> None:
    args = [
        "canary", "analyze", "--prometheus", prometheus, "--champion-version", "1",
        "--challenger-version", challenger, "--at", AT.isoformat(), "--no-record", *extra,
    ]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == code, result.output
    assert f"v{challenger} against champion v1 (prometheus): {verdict}" in result.output


def test_cli_error_is_one_line_and_exit_2(glassbox_home: Path) -> None:
    args = ["canary", "analyze", "--prometheus", "http://127.0.0.1:9", "--champion-version", "1",
            "--challenger-version", "2", "--no-record"]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2
    assert result.output.strip().startswith("error: cannot reach Prometheus at http://127.0.0.1:9")
    assert "Traceback" not in result.output
