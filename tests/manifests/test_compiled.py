"""Golden test: k8s/workflows/ holds exactly what `glassbox compile` produces from pipelines/."""

from __future__ import annotations

from pathlib import Path

import yaml

from glassbox.manifests import lint_paths
from glassbox.manifests._compile import OUT_DIR, available, render, stale

REPO = Path(__file__).resolve().parents[2]


def test_committed_manifests_are_up_to_date(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(REPO)
    diffs = stale(OUT_DIR)
    assert not diffs, "stale compiled manifests; run `just compile`:\n" + "\n".join(diffs.values())


def test_both_pipelines_compile_to_the_expected_kinds(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(REPO)
    assert set(available()) == {"training", "monitoring"}
    kinds = {n: [d["kind"] for d in yaml.safe_load_all(render(n))] for n in available()}
    assert kinds == {"training": ["WorkflowTemplate", "Workflow"], "monitoring": ["CronWorkflow"]}


def test_image_is_configurable_at_compile_time(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(REPO)
    text = render("training", image="registry.example/glassbox:1.2.3")
    images = {
        t["container"]["image"]
        for d in yaml.safe_load_all(text)
        for t in d["spec"].get("templates", [])
        if "container" in t
    }
    assert images == {"registry.example/glassbox:1.2.3"}


def test_compiled_manifests_pass_the_offline_lint(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(REPO)
    assert [str(f) for f in lint_paths([REPO / "k8s" / "workflows"])] == []


def test_cron_has_schedule_timezone_and_forbids_overlap(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(REPO)
    (cron,) = yaml.safe_load_all(render("monitoring"))
    spec = cron["spec"]
    assert spec["schedules"] and spec["timezone"]
    assert spec["concurrencyPolicy"] == "Forbid"
    assert spec["startingDeadlineSeconds"] > 0
    tasks = {t["name"]: t for t in spec["workflowSpec"]["templates"][-1]["dag"]["tasks"]}
    assert tasks["profile"]["withParam"] == "{{tasks.window.outputs.parameters.partitions}}"
    assert "resource" in next(
        t for t in spec["workflowSpec"]["templates"] if t["name"] == "retrain"
    )
