"""The Grafana dashboard queries only metric names Glassbox really emits, in valid PromQL."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from ._promql import metric_names, variable_query_names
from .conftest import PROMETHEUS_DIR, emitted_names
from .test_rules import promtool

DASHBOARD = PROMETHEUS_DIR / "grafana-dashboard.json"


def _panels(panels: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for panel in panels:
        yield panel
        yield from _panels(panel.get("panels") or [])  # a collapsed row nests its panels


def panel_exprs(dashboard: dict[str, Any]) -> list[str]:
    return [
        target["expr"]
        for panel in _panels(dashboard.get("panels") or [])
        for target in panel.get("targets") or []
        if target.get("expr")
    ]


def variable_queries(dashboard: dict[str, Any]) -> list[str]:
    out = []
    for var in (dashboard.get("templating") or {}).get("list") or []:
        if var.get("type") != "query":
            continue
        query = var.get("query")
        out.append(query.get("query", "") if isinstance(query, dict) else str(query or ""))
    return out


def unknown_names(dashboard: dict[str, Any], known: frozenset[str]) -> dict[str, set[str]]:
    """{query: names it uses that are not in ``known``} (also flags queries using none)."""
    found: dict[str, set[str]] = {}
    for query, names in [(e, metric_names(e)) for e in panel_exprs(dashboard)] + [
        (q, variable_query_names(q)) for q in variable_queries(dashboard)
    ]:
        if not names or names - known:
            found[query] = names - known or {"<no metric>"}
    return found


def _dashboard() -> dict[str, Any]:
    return json.loads(DASHBOARD.read_text())


def test_dashboard_queries_use_only_emitted_metric_names() -> None:
    dashboard = _dashboard()
    assert len(panel_exprs(dashboard)) >= 15
    assert unknown_names(dashboard, emitted_names()) == {}


def test_the_check_rejects_a_name_nobody_emits() -> None:
    unknown = "sum(rate(glassbox_drift_total[5m]))"
    bad = {
        "panels": [
            {"type": "row", "panels": [{"targets": [{"expr": unknown}]}]},
            {"targets": [{"expr": 'glassbox_drift_psi{model="$model"}'}]},
        ],
        "templating": {"list": [{"type": "query", "query": "label_values(nope_metric, model)"}]},
    }
    assert unknown_names(bad, emitted_names()) == {
        unknown: {"glassbox_drift_total"},
        "label_values(nope_metric, model)": {"nope_metric"},
    }


def test_dashboard_shows_what_the_issue_asks_for() -> None:
    used = set().union(*(metric_names(e) for e in panel_exprs(_dashboard())))
    for name in (
        "glassbox_drift_psi",  # drift over time per feature
        "glassbox_performance_estimated",  # estimated vs realized performance
        "glassbox_performance_realized",
        "glassbox_pipeline_last_run_duration_seconds",  # pipeline durations
        "glassbox_pipeline_last_run_step_duration_seconds",
        "glassbox_alerts_sent",  # alert counts
    ):
        assert name in used, name


def _grafana_free(expr: str) -> str:
    expr = re.sub(r"\$__(rate_)?interval|\$\{__(rate_)?interval\}", "5m", expr)
    return re.sub(r"\$\{?(\w+)\}?", r"\1", expr)  # "$model" → "model": a valid label value


def test_dashboard_queries_are_valid_promql(tmp_path: Path) -> None:
    rules = [
        {"record": f"glassbox_dashboard_query_{i}", "expr": _grafana_free(expr)}
        for i, expr in enumerate(panel_exprs(_dashboard()))
    ]
    path = tmp_path / "dashboard-queries.yaml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}))
    result = promtool("check", "rules", str(path), cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_dashboard_is_importable_grafana_json() -> None:
    dashboard = _dashboard()
    assert dashboard["uid"] and dashboard["title"] and dashboard["schemaVersion"] >= 36
    ids = [p["id"] for p in _panels(dashboard["panels"])]
    assert len(ids) == len(set(ids)), "panel ids must be unique"
    variables = {v["name"] for v in dashboard["templating"]["list"]}
    assert {"datasource", "model", "pipeline"} <= variables
    for panel in _panels(dashboard["panels"]):
        if panel["type"] != "row":
            assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}


def test_kustomization_ships_the_prometheusrule_and_this_dashboard() -> None:
    kustomization = yaml.safe_load((PROMETHEUS_DIR / "kustomization.yaml").read_text())
    assert kustomization["namespace"] == "glassbox"
    kinds = {
        yaml.safe_load((PROMETHEUS_DIR / resource).read_text())["kind"]
        for resource in kustomization["resources"]
    }
    assert kinds == {"PrometheusRule", "ServiceMonitor"}  # the rules, and glassbox serve's scrape
    (generator,) = kustomization["configMapGenerator"]
    key, _, source = generator["files"][0].partition("=")
    assert (PROMETHEUS_DIR / source).resolve() == DASHBOARD.resolve()
    assert key.endswith(".json")
    assert generator["options"]["labels"]["grafana_dashboard"] == "1"
