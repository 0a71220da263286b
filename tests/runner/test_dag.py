"""DAG semantics: dependency order, parameter passing, when, depends, nested DAGs, exit handler."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from glassbox.runner import (
    ManifestError,
    TaskStatus,
    WorkflowFailed,
    WorkflowResult,
    WorkflowStatus,
    manifests_from_documents,
    run_workflow,
)

from ._runner import Runner, python_step, workflow

pytestmark = pytest.mark.timeout(120)


def _events(journal: Path) -> list[str]:
    return journal.read_text().splitlines()


@pytest.mark.parametrize("max_workers", [1, 2])
def test_diamond_runs_in_dependency_order_and_passes_outputs(
    runner: Runner, tmp_path: Path, max_workers: int
) -> None:
    journal = tmp_path / "journal"
    result = runner("diamond.yaml", parameters={"journal": str(journal)}, max_workers=max_workers)

    assert result.status is WorkflowStatus.SUCCEEDED
    assert re.fullmatch(r"diamond-[a-z0-9]{5}", result.name)
    events = _events(journal)
    assert events.index("end a") < events.index("start b")
    assert events.index("end a") < events.index("start c")
    assert events.index("end b") < events.index("start d")
    assert events.index("end c") < events.index("start d")
    b_and_c_overlap = events.index("start c") < events.index("end b") and events.index(
        "start b"
    ) < events.index("end c")
    assert b_and_c_overlap is (max_workers == 2)
    # one trailing newline of each output file is trimmed, as Argo does
    assert result.task("d").outputs == {"out": "d(b(a(hello))+c(a(hello)))"}
    assert [t for t in result.tasks] == sorted(
        result.tasks, key=lambda t: result.tasks[t].finished_at
    )


def test_workflow_parameters_override_the_manifest_defaults(runner: Runner, tmp_path: Path) -> None:
    result = runner(
        "diamond.yaml", parameters={"journal": str(tmp_path / "j"), "message": "bonjour"}
    )

    assert result.parameters["message"] == "bonjour"
    assert result.task("a").outputs["out"] == "a(bonjour)"
    assert result.task("d").outputs["out"] == "d(b(a(bonjour))+c(a(bonjour)))"


def test_unknown_workflow_parameter_is_rejected_before_running(runner: Runner) -> None:
    with pytest.raises(
        ManifestError, match=r"unknown workflow parameter 'mesage' \(declared: journal, message\)"
    ):
        runner("diamond.yaml", parameters={"mesage": "typo"})
    assert not (runner.workdir / ".glassbox").exists()


def test_each_task_gets_workflow_identity_pod_name_and_its_own_log(
    runner: Runner, tmp_path: Path
) -> None:
    result = runner("diamond.yaml", parameters={"journal": str(tmp_path / "j")})

    for name in "abcd":
        task = result.task(name)
        assert task.log_path == result.run_dir / "logs" / f"{name}.log"
        log = task.log_path.read_text()
        assert f"step {name} workflow={result.name} pod={task.pod_name}" in log
        assert task.pod_name is not None
        assert re.fullmatch(rf"{result.name}-step-\d+", task.pod_name)
    assert len({result.task(n).pod_name for n in "abcd"}) == 4
    assert result.run_dir == runner.workdir / ".glassbox" / "runs" / result.name
    saved = WorkflowResult.model_validate_json((result.run_dir / "result.json").read_text())
    assert saved == result
    assert "done  d  Succeeded" in runner.output
    assert f"end   {result.name}  Succeeded" in runner.output


def test_false_when_skips_the_task_and_its_output_default_flows_on(runner: Runner) -> None:
    result = runner("branches.yaml", "branches-handled")

    assert result.status is WorkflowStatus.SUCCEEDED
    maybe = result.task("maybe")
    assert maybe.status is TaskStatus.SKIPPED
    assert maybe.message == "when 'skip == run' evaluated false"
    assert maybe.attempts == ()
    assert result.task("after-maybe").result == "got fallback"


def test_true_when_runs_the_task(runner: Runner) -> None:
    result = runner("branches.yaml", "branches-handled", parameters={"decision": "run"})

    assert result.task("maybe").status is TaskStatus.SUCCEEDED
    assert result.task("after-maybe").result == "got produced"


def test_failed_branch_runs_its_handler_and_the_workflow_succeeds(runner: Runner) -> None:
    result = runner("branches.yaml", "branches-handled")

    flaky = result.task("flaky")
    assert flaky.status is TaskStatus.FAILED
    assert flaky.exit_code == 3
    assert result.task("on-failure").result == "flaky exited 3"
    assert result.succeeded


def test_unhandled_failure_omits_dependants_and_reports_the_failed_task(runner: Runner) -> None:
    with pytest.raises(WorkflowFailed) as caught:
        runner("branches.yaml", "branches-unhandled")

    result = caught.value.result
    assert result.status is WorkflowStatus.FAILED
    assert result.task("publish").status is TaskStatus.OMITTED
    assert result.task("cleanup").status is TaskStatus.SUCCEEDED
    message = str(caught.value)
    log = result.run_dir / "logs" / "flaky.log"
    assert "task 'flaky' Failed: exit code 3" in message
    assert f"log: {log}" in message
    assert "last 20 log lines:" in message
    assert "| about to fail" in message
    assert "| line 11" in message  # the 20 most recent lines only
    assert "| line 10\n" not in message
    assert result.failed_tasks() == [result.task("flaky")]


def test_unresolvable_reference_errors_the_task_naming_the_expression(runner: Runner) -> None:
    with pytest.raises(WorkflowFailed) as caught:
        runner("errors.yaml", "bad-reference")

    result = caught.value.result
    second = result.task("second")
    assert second.status is TaskStatus.ERROR
    assert second.message == (
        "cannot resolve {{tasks.first.outputs.parameters.nope}}: no such variable in this scope"
    )
    assert "cannot resolve {{workflow.parameters.missing}}" in result.task("unrelated").message
    assert "task 'second' Error: cannot resolve {{tasks.first" in str(caught.value)
    assert result.task("first").status is TaskStatus.SUCCEEDED


def test_invalid_depends_result_is_rejected_before_any_task_runs(runner: Runner) -> None:
    with pytest.raises(
        ManifestError,
        match=r"task 'second': invalid depends 'first.Completed': "
        r"task result 'Completed' for task 'first' is invalid",
    ):
        runner("errors.yaml", "bad-depends")
    assert not list(runner.workdir.rglob("*.log"))


def test_missing_output_file_without_default_fails_naming_the_parameter(runner: Runner) -> None:
    with pytest.raises(WorkflowFailed) as caught:
        runner("errors.yaml", "missing-output")

    task = caught.value.result.task("forgetful")
    assert task.status is TaskStatus.ERROR
    assert (
        "output parameter 'run_id' was not written: expected file /tmp/outputs/run_id"
        in task.message
    )
    assert "declares no valueFrom.default" in task.message


def test_nested_dag_resource_handler_and_exit_handler(runner: Runner, tmp_path: Path) -> None:
    calls: list[tuple[dict[str, Any], dict[str, str]]] = []

    def apply(template: Any, params: Any) -> dict[str, str]:
        calls.append((template, dict(params)))
        return {"uid": "cm-123"}

    status_file = tmp_path / "status"
    result = runner(
        "nested.yaml", parameters={"status-file": str(status_file)}, resource_handler=apply
    )

    assert result.succeeded
    assert result.task("inner").outputs == {"total": "14"}
    square = result.task("inner.square")
    assert [item.result for item in square.items] == ["1", "4", "9"]
    assert [item.name for item in square.items] == [f"inner.square({i}:{i + 1})" for i in range(3)]
    assert result.task("inner.add").result == "14"
    assert (result.run_dir / "logs" / "inner.square-2.log").is_file()
    assert result.task("report").result == "total=14 applied=cm-123"
    ((template, params),) = calls
    assert params == {"total": "14"}
    assert 'total: "14"' in template["resource"]["manifest"]
    assert f'workflow: "{result.name}"' in template["resource"]["manifest"]
    assert result.exit_handler is not None
    assert result.exit_handler.status is TaskStatus.SUCCEEDED
    assert status_file.read_text() == "Succeeded\n[]"


def test_resource_template_without_handler_fails_naming_the_task(
    runner: Runner, tmp_path: Path
) -> None:
    status_file = tmp_path / "status"
    with pytest.raises(WorkflowFailed) as caught:
        runner("nested.yaml", parameters={"status-file": str(status_file)})

    result = caught.value.result
    assert result.task("apply").status is TaskStatus.ERROR
    assert (
        "task 'apply' Error: resource template 'apply-config' (action create) has no local handler"
        in str(caught.value)
    )
    assert result.task("report").status is TaskStatus.OMITTED
    assert result.status is WorkflowStatus.ERROR  # an Errored branch makes the DAG Error
    status, failures = status_file.read_text().split("\n", 1)
    assert status == "Error"
    assert [f["displayName"] for f in json.loads(failures)] == ["apply"]


def test_failure_inside_a_nested_dag_is_reported_at_the_inner_task(tmp_path: Path) -> None:
    outer = {"name": "main", "dag": {"tasks": [{"name": "inner", "template": "inner"}]}}
    inner = {
        "name": "inner",
        "dag": {
            "tasks": [
                {"name": "boom", "template": "boom"},
                {"name": "never", "template": "boom", "depends": "boom"},
            ]
        },
    }
    boom = python_step("boom", "import sys; sys.exit('kaput')")
    document = workflow([outer, inner, boom])

    with pytest.raises(WorkflowFailed) as caught:
        run_workflow(manifests_from_documents([document]), workdir=tmp_path, console=None)

    result = caught.value.result
    assert result.message == "task 'inner' Failed"
    assert result.task("inner").message == "task 'inner.boom' Failed"
    assert result.task("inner.never").status is TaskStatus.OMITTED
    assert result.failed_tasks() == [result.task("inner.boom")]
    assert "| kaput" in str(caught.value)
    assert (result.run_dir / "logs" / "inner.boom.log").is_file()


def test_yaml_dates_in_with_items_stay_strings_as_in_kubernetes(
    runner: Runner, tmp_path: Path
) -> None:
    manifest = tmp_path / "dates.yaml"
    manifest.write_text(
        """
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: dates}
spec:
  entrypoint: main
  templates:
    - name: main
      dag:
        tasks:
          - name: day
            template: echo
            withItems: [2024-01-01, 2024-01-02]
            arguments:
              parameters: [{name: d, value: "{{item}}"}]
    - name: echo
      inputs: {parameters: [{name: d}]}
      container:
        image: python:3.11-slim
        command: [python, -c, "import sys; print(sys.argv[1])", "{{inputs.parameters.d}}"]
"""
    )
    result = runner(manifest)

    assert [item.result for item in result.task("day").items] == ["2024-01-01", "2024-01-02"]
    assert [item.name for item in result.task("day").items] == [
        "day(0:2024-01-01)",
        "day(1:2024-01-02)",
    ]


def test_rerunning_a_named_workflow_uses_a_fresh_run_dir(runner: Runner, tmp_path: Path) -> None:
    first = runner("templates.yaml", "shared-steps", workflow_name="again")
    second = runner("templates.yaml", "shared-steps", workflow_name="again")

    assert first.run_dir.name == "again"
    assert second.run_dir.name == "again.2"
    assert first.task("say").log_path != second.task("say").log_path
    assert first.uid != second.uid


def test_failures_can_be_returned_instead_of_raised(tmp_path: Path) -> None:
    document = workflow([python_step("boom", "raise SystemExit(4)")])

    result = run_workflow(
        manifests_from_documents([document]), workdir=tmp_path, console=None, raise_on_failure=False
    )

    assert result.status is WorkflowStatus.FAILED
    assert result.message == "exit code 4"
    assert result.task("boom").exit_code == 4


def test_template_defaults_apply_to_every_template(tmp_path: Path) -> None:
    counter = tmp_path / "counter"
    code = (
        "import pathlib, sys\n"
        "p = pathlib.Path(sys.argv[1])\n"
        "n = int(p.read_text()) + 1 if p.exists() else 1\n"
        "p.write_text(str(n))\n"
        "sys.exit(0 if n > 1 else 1)"
    )
    document = workflow(
        [python_step("once-flaky", code, str(counter))],
        templateDefaults={"retryStrategy": {"limit": 1}},
    )

    result = run_workflow(manifests_from_documents([document]), workdir=tmp_path, console=None)

    assert len(result.task("once-flaky").attempts) == 2
