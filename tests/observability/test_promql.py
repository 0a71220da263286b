"""The tokenizer the rules and dashboard tests rely on finds metric names and nothing else."""

from __future__ import annotations

import pytest

from ._promql import metric_names, variable_query_names


@pytest.mark.parametrize(
    ("expr", "names"),
    [
        ('glassbox_drift_severity{kind="feature"} == 1', {"glassbox_drift_severity"}),
        ("time() - glassbox_monitor_last_success_timestamp_seconds > 26 * 3600",
         {"glassbox_monitor_last_success_timestamp_seconds"}),
        ("sum by (model, check) (rate(foo_total{job=~\"a|b\"}[5m] offset 1h))", {"foo_total"}),
        ("a > 0 and on (pipeline) group_left (step) b == 1", {"a", "b"}),
        ('max by (feature) (x{model="$model", kind="feature"})', {"x"}),
        ("histogram_quantile(0.9, sum by (le) (rate(h_bucket[$__rate_interval])))", {"h_bucket"}),
        ("absent(up{job='x'}) or vector(0)", {"up"}),
        ("1e3 * m1 + 0x1f - .5 / m2:recorded", {"m1", "m2:recorded"}),
        ("count without (instance) (glassbox_alerts_sent)", {"glassbox_alerts_sent"}),
    ],
)  # fmt: skip
def test_metric_names(expr: str, names: set[str]) -> None:
    assert metric_names(expr) == names


def test_variable_queries() -> None:
    assert variable_query_names("label_values(glassbox_monitor_window_rows, model)") == {
        "glassbox_monitor_window_rows"
    }
    assert variable_query_names("label_values(model)") == set()
    assert variable_query_names("query_result(topk(3, x_total))") == {"x_total"}
