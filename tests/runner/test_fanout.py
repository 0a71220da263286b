"""withParam / withItems fan-out: map/reduce over date partitions, aggregation, parallelism."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from glassbox.runner import TaskStatus, WorkflowFailed, manifests_from_documents, run_workflow

from ._runner import Runner

pytestmark = pytest.mark.timeout(120)

DATES = ["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-04", "2024-01-05"]


def _max_overlap(journal: Path) -> int:
    """Most map items running at the same moment, from their start/end journal lines."""
    events = []
    for line in journal.read_text().splitlines():
        kind, _, moment = line.split()
        events.append((float(moment), 1 if kind == "start" else -1))
    running = peak = 0
    for _, delta in sorted(events, key=lambda e: (e[0], e[1])):
        running += delta
        peak = max(peak, running)
    return peak


def test_map_reduce_over_partitions_aggregates_outputs_as_json_lists(
    runner: Runner, tmp_path: Path
) -> None:
    result = runner("fanout.yaml", parameters={"journal": str(tmp_path / "journal")})

    assert result.succeeded
    fan_out = result.task("map")
    assert fan_out.status is TaskStatus.SUCCEEDED
    assert [item.name for item in fan_out.items] == [
        f"map({i}:date:{d},rows:{10 * (i + 1)})" for i, d in enumerate(DATES)
    ]
    assert [item.item for item in fan_out.items] == [
        {"date": d, "rows": 10 * (i + 1)} for i, d in enumerate(DATES)
    ]
    # JSON objects are aggregated as a list of objects, plain strings as a list of strings
    assert json.loads(fan_out.outputs["stats"]) == [
        {"date": d, "rows": 10 * (i + 1)} for i, d in enumerate(DATES)
    ]
    assert json.loads(fan_out.outputs["drifted"]) == ["false", "false", "true", "true", "true"]
    summary = json.loads(result.task("reduce").outputs["summary"])
    assert summary == {"partitions": 5, "rows": 150, "drifted": DATES[2:]}
    for index in range(5):
        assert (result.run_dir / "logs" / f"map-{index}.log").is_file()
    assert "done  map  Succeeded" in runner.output
    assert "5/5 items succeeded" in runner.output


def test_fan_out_is_bounded_by_the_runner_worker_count(runner: Runner, tmp_path: Path) -> None:
    journal = tmp_path / "journal"
    runner("fanout.yaml", parameters={"journal": str(journal)}, max_workers=2)

    assert _max_overlap(journal) == 2


def test_fan_out_is_bounded_by_the_dag_parallelism(runner: Runner, tmp_path: Path) -> None:
    journal = tmp_path / "journal"
    runner("fanout.yaml", parameters={"journal": str(journal)}, max_workers=8)

    assert _max_overlap(journal) == 3  # template parallelism: 3


def test_empty_fan_out_is_skipped_and_reduce_falls_back_to_its_input_defaults(
    runner: Runner, tmp_path: Path
) -> None:
    result = runner("fanout.yaml", parameters={"journal": str(tmp_path / "j"), "dates": "[]"})

    fan_out = result.task("map")
    assert fan_out.status is TaskStatus.SKIPPED
    assert fan_out.message == "Skipped, empty params"
    assert json.loads(result.task("reduce").outputs["summary"]) == {
        "partitions": 0,
        "rows": 0,
        "drifted": [],
    }


def test_a_failing_item_fails_the_fan_out_and_omits_reduce(runner: Runner, tmp_path: Path) -> None:
    dates = json.dumps(["2024-01-01", "bad", "2024-01-03"])
    with pytest.raises(WorkflowFailed) as caught:
        runner(
            "fanout.yaml", parameters={"journal": str(tmp_path / "j"), "dates": dates, "pause": "0"}
        )

    result = caught.value.result
    fan_out = result.task("map")
    assert fan_out.status is TaskStatus.FAILED
    assert fan_out.message == "1 of 3 items failed"
    assert [item.status for item in fan_out.items] == [
        TaskStatus.SUCCEEDED,
        TaskStatus.FAILED,
        TaskStatus.SUCCEEDED,
    ]
    assert result.task("reduce").status is TaskStatus.OMITTED
    message = str(caught.value)
    assert "task 'map(1:date:bad,rows:20)' Failed: exit code 2" in message
    assert f"log: {result.run_dir / 'logs' / 'map-1.log'}" in message
    assert "| partition bad is unreadable" in message


def test_with_items_scalars_and_objects(tmp_path: Path) -> None:
    document = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Workflow",
        "metadata": {"name": "items"},
        "spec": {
            "entrypoint": "main",
            "templates": [
                {
                    "name": "main",
                    "dag": {
                        "tasks": [
                            {
                                "name": "echo",
                                "template": "echo",
                                "withItems": [1, "two", {"k": "v", "n": 3}, True],
                                "arguments": {"parameters": [{"name": "x", "value": "{{item}}"}]},
                            },
                            {
                                "name": "only-objects",
                                "template": "echo",
                                "depends": "echo.AnySucceeded",
                                "withItems": [{"keep": "yes"}, {"keep": "no"}],
                                "when": "{{item.keep}} == yes",
                                "arguments": {
                                    "parameters": [{"name": "x", "value": "{{item.keep}}"}]
                                },
                            },
                        ]
                    },
                },
                {
                    "name": "echo",
                    "inputs": {"parameters": [{"name": "x"}]},
                    "container": {
                        "image": "python:3.11-slim",
                        "command": [
                            "python",
                            "-c",
                            "import sys; print(sys.argv[1])",
                            "{{inputs.parameters.x}}",
                        ],
                    },
                },
            ],
        },
    }
    result = run_workflow(manifests_from_documents([document]), workdir=tmp_path, console=None)

    echo = result.task("echo")
    assert [item.result for item in echo.items] == ["1", "two", '{"k":"v","n":3}', "true"]
    assert [item.name for item in echo.items] == [
        "echo(0:1)",
        "echo(1:two)",
        "echo(2:k:v,n:3)",
        "echo(3:true)",
    ]
    only = result.task("only-objects")
    assert [item.status for item in only.items] == [TaskStatus.SUCCEEDED, TaskStatus.SKIPPED]
    assert only.items[1].message == "when 'no == yes' evaluated false"
