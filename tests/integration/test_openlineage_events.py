"""The OpenLineage events of a full training pipeline run (the embedded default: JSON lines
under GLASSBOX_HOME): all valid against the official spec, and the job -> dataset -> job graph
they describe is the graph `glassbox lineage` prints."""

from __future__ import annotations

import json
import re
import uuid
from collections import defaultdict
from typing import Any

import pytest

from glassbox.openlineage import EVENTS_FILE
from tests.integration._pipeline import PipelineRun, glassbox, step_runs
from tests.openlineage._spec import errors

pytestmark = pytest.mark.slow


def events(run: PipelineRun) -> list[dict[str, Any]]:
    lines = (run.home / EVENTS_FILE).read_text().splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def mlflow_id(run_id: str) -> str:
    return uuid.UUID(run_id).hex


def test_every_step_emitted_start_then_complete_and_every_event_is_valid(
    trained: PipelineRun,
) -> None:
    found = events(trained)
    steps = step_runs(trained)
    by_run: dict[str, list[str]] = defaultdict(list)
    for event in found:
        assert errors(event) == [], (event["eventType"], event["job"]["name"], errors(event))
        by_run[mlflow_id(event["run"]["runId"])].append(event["eventType"])
    assert {r.info.run_id: ["START", "COMPLETE"] for r in steps.values()} == dict(by_run)
    complete = [e for e in found if e["eventType"] == "COMPLETE"]
    parent = {e["run"]["facets"]["parent"]["run"]["runId"] for e in complete}
    pipelines = {r.data.tags["mlflow.parentRunId"] for r in steps.values()}
    assert {mlflow_id(p) for p in parent} == pipelines
    train = next(e for e in complete if e["job"]["name"] == "training.train")
    location = train["job"]["facets"]["sourceCodeLocation"]
    assert location["version"] == steps["train"].data.tags["mlflow.source.git.commit"]
    (model,) = train["outputs"]
    assert (
        model["facets"]["version"]["datasetVersion"]
        == steps["train"].data.tags["glassbox.model.fingerprint"]
    )
    validate = next(e for e in complete if e["job"]["name"] == "training.validate")
    quality = [d["inputFacets"]["dataQualityMetrics"] for d in validate["inputs"]]
    assert sorted(q["rowCount"] for q in quality) == sorted(
        int(steps["validate"].data.metrics[k]) for k in ("rows.reference", "rows.production")
    )
    assert all("car_value" in q["columnMetrics"] for q in quality)
    schema = {f["name"] for f in validate["inputs"][0]["facets"]["schema"]["fields"]}
    assert {"id", "timestamp", "car_value"} <= schema


def graph_from_events(found: list[dict[str, Any]]) -> set[tuple[str, str]]:
    """(upstream run, downstream run) pairs: a dataset one run wrote and another read."""
    writers: dict[tuple[str, str], str] = {}
    readers: list[tuple[tuple[str, str], str]] = []
    for event in found:
        if event["eventType"] != "COMPLETE":
            continue
        run = mlflow_id(event["run"]["runId"])
        for d in event["outputs"]:
            writers[(d["namespace"], d["name"])] = run
        readers += [((d["namespace"], d["name"]), run) for d in event["inputs"]]
    return {(writers[key], run) for key, run in readers if key in writers}


def graph_from_lineage(text: str) -> set[tuple[str, str]]:
    """(upstream run, downstream run) pairs of the indented tree `glassbox lineage` prints."""
    edges, stack = set(), []
    for line in text.splitlines():
        match = re.match(r"^( *)\S+ +run (\w{32}) ", line)
        if not match:
            continue
        depth = len(match.group(1)) // 2
        stack[depth:] = [match.group(2)]
        if depth:
            edges.add((match.group(2), stack[depth - 1]))
    return edges


def test_the_graph_rebuilt_from_the_events_is_the_one_glassbox_lineage_prints(
    trained: PipelineRun,
) -> None:
    steps = step_runs(trained)
    printed = glassbox(trained.home, "lineage", steps["drift"].info.run_id)
    assert printed.returncode == 0, printed.stderr
    lineage = graph_from_lineage(printed.stdout)
    shown = {run for edge in lineage for run in edge}
    rebuilt = {(a, b) for a, b in graph_from_events(events(trained)) if {a, b} <= shown}
    assert lineage == rebuilt
    assert len(lineage) >= 6  # extract->transform->train->score->drift, extract->score, ...
