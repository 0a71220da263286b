"""Alert rules: `promtool check rules` and `promtool test rules` for real, plus what promtool
cannot see (names really emitted, runbook sections, every alert tested both ways)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from glassbox.alerts import CHECKS, github_anchor, runbook_anchor

from ._promql import metric_names
from .conftest import PROMETHEUS_DIR, REPO, emitted_names

RULES = PROMETHEUS_DIR / "glassbox-rules.yaml"
OPERATOR_RULE = PROMETHEUS_DIR / "prometheusrule.yaml"
UNIT_TESTS = sorted((PROMETHEUS_DIR / "tests").glob("*.test.yaml"))


def promtool(*args: str, cwd: Path = PROMETHEUS_DIR) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("promtool")
    if exe is None:
        pytest.fail(
            "promtool not found on PATH: install the Debian package `prometheus` "
            "(apt-get install prometheus; .ci/run does this)"
        )
    return subprocess.run(
        [exe, *args], cwd=cwd, capture_output=True, text=True, timeout=300, check=False
    )


def _rules() -> list[dict[str, Any]]:
    doc = yaml.safe_load(RULES.read_text())
    return [rule for group in doc["groups"] for rule in group["rules"]]


def _alerts() -> list[dict[str, Any]]:
    return [rule for rule in _rules() if "alert" in rule]


def test_promtool_check_rules_passes() -> None:
    result = promtool("check", "rules", RULES.name)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(_rules())} rules found" in result.stdout


def test_promtool_unit_tests_pass() -> None:
    assert UNIT_TESTS, "no promtool unit tests under k8s/prometheus/tests"
    result = promtool("test", "rules", *(str(p.relative_to(PROMETHEUS_DIR)) for p in UNIT_TESTS))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("SUCCESS") == len(UNIT_TESTS), result.stdout


def test_promtool_unit_tests_can_fail(tmp_path: Path) -> None:
    """The same test with one expected label changed must fail: the harness is not vacuous."""
    source = PROMETHEUS_DIR / "tests" / "drift-performance.test.yaml"
    broken = yaml.safe_load(source.read_text())
    broken["rule_files"] = [str(RULES)]
    case = next(c for c in broken["tests"][0]["alert_rule_test"] if c.get("exp_alerts"))
    case["exp_alerts"][0]["exp_labels"]["severity"] = "critical"
    path = tmp_path / "broken.test.yaml"
    path.write_text(yaml.safe_dump(broken))
    result = promtool("test", "rules", str(path), cwd=tmp_path)
    assert result.returncode != 0
    assert "FAILED" in result.stdout + result.stderr


def _tested_alerts() -> tuple[set[str], set[str]]:
    fires: set[str] = set()
    quiet: set[str] = set()
    for path in UNIT_TESTS:
        doc = yaml.safe_load(path.read_text())
        assert doc["rule_files"] == ["../glassbox-rules.yaml"], path.name
        for test in doc["tests"]:
            for case in test.get("alert_rule_test", []):
                (fires if case.get("exp_alerts") else quiet).add(case["alertname"])
    return fires, quiet


def test_every_alert_is_unit_tested_firing_and_not_firing() -> None:
    names = {rule["alert"] for rule in _alerts()}
    fires, quiet = _tested_alerts()
    assert names - fires == set(), "alerts never tested firing"
    assert names - quiet == set(), "alerts never tested quiet"
    assert (fires | quiet) - names == set(), "tests name alerts the rules do not define"


def test_the_issue_s_alerts_all_exist() -> None:
    by_check: dict[str, set[str]] = {}
    for rule in _alerts():
        by_check.setdefault(rule["labels"]["check"], set()).add(rule["labels"]["severity"])
    assert by_check["data_drift"] == {"warning", "critical"}
    for check in (
        "estimated_performance",
        "performance",
        "pipeline_failure",
        "cron_silent",
        "alert_delivery_failure",
    ):
        assert check in by_check, check
    cron = next(r for r in _alerts() if r["alert"] == "GlassboxMonitoringCronSilent")
    assert "26 * 3600" in cron["expr"]


def _runbook_anchors() -> set[str]:
    text = (REPO / "docs" / "runbook.md").read_text()
    return {github_anchor(m.group(1)) for m in re.finditer(r"^#{1,6}\s+(.+?)\s*$", text, re.M)}


def test_alerts_carry_severity_check_and_a_runbook_section_that_exists() -> None:
    anchors = _runbook_anchors()
    for rule in _alerts():
        labels, notes = rule["labels"], rule["annotations"]
        assert labels["severity"] in {"warning", "critical"}, rule["alert"]
        assert labels["check"] in CHECKS, rule["alert"]
        assert notes["runbook_url"] == f"docs/runbook.md#{runbook_anchor(labels['check'])}"
        assert notes["runbook_url"].split("#", 1)[1] in anchors, rule["alert"]
        assert notes["summary"] and notes["description"], rule["alert"]


def test_rules_use_only_metric_names_glassbox_emits() -> None:
    known = emitted_names()
    for rule in _rules():
        used = metric_names(rule["expr"])
        assert used, f"{rule.get('alert') or rule.get('record')}: no metric in {rule['expr']!r}"
        assert used <= known, f"{rule.get('alert')}: unknown metric(s) {sorted(used - known)}"


def test_prometheusrule_carries_exactly_the_rules_file_groups() -> None:
    operator = yaml.safe_load(OPERATOR_RULE.read_text())
    assert operator["apiVersion"] == "monitoring.coreos.com/v1"
    assert operator["kind"] == "PrometheusRule"
    assert operator["metadata"]["namespace"] == "glassbox"
    assert operator["spec"]["groups"] == yaml.safe_load(RULES.read_text())["groups"], (
        "k8s/prometheus/prometheusrule.yaml differs from glassbox-rules.yaml: copy the rules "
        "file's `groups` into the PrometheusRule's `spec.groups`"
    )
