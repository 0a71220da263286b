"""Container execution: retries with backoff, deadlines, secrets and environment, logs."""

from __future__ import annotations

import hashlib
import os
import signal
import sys
import threading
import time
from pathlib import Path

import pytest

from glassbox.runner import TaskStatus, WorkflowFailed, manifests_from_documents, run_workflow

from ._runner import Runner, python_step, workflow

pytestmark = pytest.mark.timeout(120)


def test_failing_step_is_retried_until_it_succeeds(runner: Runner, tmp_path: Path) -> None:
    counter = tmp_path / "counter"
    result = runner("retries.yaml", parameters={"counter": str(counter), "succeed-on": 3})

    flaky = result.task("flaky")
    assert flaky.status is TaskStatus.SUCCEEDED
    assert counter.read_text() == "3"
    assert [a.retry for a in flaky.attempts] == [0, 1, 2]
    assert [a.status for a in flaky.attempts] == [
        TaskStatus.FAILED,
        TaskStatus.FAILED,
        TaskStatus.SUCCEEDED,
    ]
    assert [a.exit_code for a in flaky.attempts] == [1, 1, 0]
    # {{retries}} is the attempt index; each attempt is its own pod, named like Argo's
    assert flaky.outputs == {"attempt": "2"}
    assert len({a.pod_name for a in flaky.attempts}) == 3
    assert flaky.pod_name == flaky.attempts[-1].pod_name
    log = flaky.log_path.read_text() if flaky.log_path else ""
    for n, attempt in enumerate(flaky.attempts, start=1):
        assert f"attempt {n} retries={n - 1} pod={attempt.pod_name}" in log
    assert "attempt 2 failing" in log
    assert result.task("after").result == "flaky succeeded on retry 2"
    assert "retry flaky  Failed: exit code 1; retrying in" in runner.output


def test_backoff_waits_grow_by_the_factor(runner: Runner, tmp_path: Path) -> None:
    counter = tmp_path / "counter"
    # duration 1s, factor 2, scaled by 0.2: waits of 0.2 s then 0.4 s
    runner("retries.yaml", parameters={"counter": str(counter)}, backoff_scale=0.2)

    starts = [float(line) for line in Path(f"{counter}.times").read_text().split()]
    first_gap, second_gap = starts[1] - starts[0], starts[2] - starts[1]
    assert first_gap >= 0.2
    assert second_gap >= 0.4
    assert second_gap > first_gap


def test_retry_limit_is_respected_and_the_failure_names_task_and_log(
    runner: Runner, tmp_path: Path
) -> None:
    counter = tmp_path / "counter"
    with pytest.raises(WorkflowFailed) as caught:
        runner("retries.yaml", parameters={"counter": str(counter), "succeed-on": 9, "limit": 2})

    assert counter.read_text() == "3"  # limit 2 = one attempt + two retries
    result = caught.value.result
    flaky = result.task("flaky")
    assert flaky.status is TaskStatus.FAILED
    assert len(flaky.attempts) == 3
    assert flaky.exit_code == 1
    assert result.task("after").status is TaskStatus.OMITTED
    message = str(caught.value)
    assert "task 'flaky' Failed: exit code 1 (after 3 attempts)" in message
    assert f"log: {result.run_dir / 'logs' / 'flaky.log'}" in message
    assert "| attempt 3 failing" in message


def test_on_error_policy_does_not_retry_a_non_zero_exit(runner: Runner, tmp_path: Path) -> None:
    counter = tmp_path / "counter"
    with pytest.raises(WorkflowFailed):
        runner("retries.yaml", parameters={"counter": str(counter), "policy": "OnError"})

    assert counter.read_text() == "1"


def test_retry_expression_stops_retrying_a_permanent_failure(tmp_path: Path) -> None:
    counter = tmp_path / "counter"
    doc = workflow(
        [
            {"name": "main", "dag": {"tasks": [{"name": "bad", "template": "bad"}]}},
            python_step(
                "bad",
                "import pathlib, sys; p = pathlib.Path(sys.argv[1]);"
                " p.write_text(str(int(p.read_text()) + 1 if p.exists() else 1)); sys.exit(2)",
                str(counter),
                retryStrategy={"limit": 3, "expression": "asInt(lastRetry.exitCode) != 2"},
            ),
        ]
    )
    with pytest.raises(WorkflowFailed) as caught:
        run_workflow(manifests_from_documents([doc]), workdir=tmp_path, console=None)

    assert counter.read_text() == "1"
    assert caught.value.result.task("bad").exit_code == 2


def test_active_deadline_kills_the_step(runner: Runner) -> None:
    started = time.monotonic()
    with pytest.raises(WorkflowFailed) as caught:
        runner("timeout.yaml")

    assert time.monotonic() - started < 15
    sleepy = caught.value.result.task("sleepy")
    assert sleepy.status is TaskStatus.FAILED
    assert sleepy.message == "exceeded activeDeadlineSeconds (1)"
    assert sleepy.exit_code == 143  # SIGTERM, as a pod deletion sends
    assert 1.0 <= sleepy.duration_seconds < 10
    assert sleepy.log_tail == ("sleeping",)
    assert caught.value.result.task("next").status is TaskStatus.OMITTED


def test_secrets_come_from_the_environment_and_never_reach_the_runner_output(
    runner: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = "https://hooks.example.invalid/T000/B000/very-secret-token"
    monkeypatch.setenv("SLACK_WEBHOOK_URL", secret)
    monkeypatch.delenv("PAGERDUTY_ROUTING_KEY", raising=False)

    result = runner(
        "secrets.yaml", extra_env={"MLFLOW_TRACKING_URI": "http://127.0.0.1:5111"}, namespace="ml"
    )

    send = result.task("send")
    assert send.outputs["digest"] == hashlib.sha256(secret.encode()).hexdigest()
    assert send.outputs["optional"] == "False"  # optional secret absent: left unset
    assert send.outputs["pod"] == f"{send.pod_name} ml"  # fieldRef metadata.name / namespace
    assert send.outputs["tracking"] == "http://127.0.0.1:5111"  # the caller's env wins
    assert secret not in runner.output
    assert secret not in result.model_dump_json()
    assert send.log_path is not None
    assert secret not in send.log_path.read_text()
    assert "sent notification with digest" in send.log_path.read_text()


def test_missing_required_secret_is_a_clear_error(
    runner: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SLACK_WEBHOOK_URL", raising=False)

    with pytest.raises(WorkflowFailed) as caught:
        runner("secrets.yaml")

    send = caught.value.result.task("send")
    assert send.status is TaskStatus.ERROR
    assert send.message == (
        "env SLACK_WEBHOOK_URL comes from secret 'glassbox-secrets' key 'slack-webhook-url', "
        "which does not exist locally; "
        "set the environment variable SLACK_WEBHOOK_URL before running"
    )


def test_python_is_this_interpreter_and_cwd_is_the_workdir(tmp_path: Path) -> None:
    code = "import os, sys; print(sys.executable); print(os.getcwd())"
    result = run_workflow(
        manifests_from_documents([workflow([python_step("only", code)])]),
        workdir=tmp_path,
        console=None,
    )

    # an entrypoint that is a container runs as the workflow's single pod
    only = result.task("only")
    assert only.pod_name == "inline"
    executable, cwd = (only.result or "").splitlines()
    assert Path(executable).resolve() == Path(sys.executable).resolve()
    assert cwd == str(tmp_path)


def test_output_path_variable_points_into_the_sandbox(tmp_path: Path) -> None:
    step = python_step(
        "write",
        "import sys; open(sys.argv[1], 'w').write('42\\n\\n')",
        "{{outputs.parameters.answer.path}}",
        outputs={"parameters": [{"name": "answer", "valueFrom": {"path": "/tmp/outputs/answer"}}]},
    )
    result = run_workflow(
        manifests_from_documents([workflow([step])]), workdir=tmp_path, console=None
    )

    assert result.task("write").outputs == {"answer": "42\n"}  # only one trailing newline trimmed
    assert (result.run_dir / "sandbox" / "write" / "tmp" / "outputs" / "answer").is_file()


def test_workflow_active_deadline_stops_running_steps(tmp_path: Path) -> None:
    step = python_step("sleep", "import time; time.sleep(60)")
    document = workflow([step], activeDeadlineSeconds=1)
    started = time.monotonic()

    with pytest.raises(WorkflowFailed) as caught:
        run_workflow(manifests_from_documents([document]), workdir=tmp_path, console=None)

    assert time.monotonic() - started < 15
    assert (
        caught.value.result.task("sleep").message == "exceeded the workflow's activeDeadlineSeconds"
    )


def test_backoff_that_would_pass_max_duration_stops_retrying(tmp_path: Path) -> None:
    step = python_step(
        "flaky",
        "raise SystemExit(1)",
        retryStrategy={"limit": 5, "backoff": {"duration": "5s", "maxDuration": "1s"}},
    )
    started = time.monotonic()

    with pytest.raises(WorkflowFailed) as caught:
        run_workflow(manifests_from_documents([workflow([step])]), workdir=tmp_path, console=None)

    flaky = caught.value.result.task("flaky")
    assert len(flaky.attempts) == 1
    assert flaky.message == "exit code 1; backoff would exceed retryStrategy.backoff.maxDuration"
    assert time.monotonic() - started < 4


@pytest.mark.parametrize("in_dag", [False, True])
def test_interrupting_the_run_stops_its_processes(tmp_path: Path, in_dag: bool) -> None:
    pid_file = tmp_path / "pid"
    code = f"import os, time; open({str(pid_file)!r}, 'w').write(str(os.getpid())); time.sleep(60)"
    step = python_step("sleep", code)
    dag = {"name": "main", "dag": {"tasks": [{"name": "sleep", "template": "sleep"}]}}
    document = workflow([dag, step] if in_dag else [step])
    interrupt = threading.Timer(1.0, os.kill, (os.getpid(), signal.SIGINT))
    interrupt.start()
    started = time.monotonic()

    with pytest.raises(KeyboardInterrupt):
        run_workflow(manifests_from_documents([document]), workdir=tmp_path, console=None)

    assert time.monotonic() - started < 10
    pid = int(pid_file.read_text())
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.05)
    else:
        pytest.fail(f"step process {pid} still alive after the interrupt")
