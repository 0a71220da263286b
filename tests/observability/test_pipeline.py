"""The gauges of one pipeline run, from what an Argo exit handler knows."""

from __future__ import annotations

import json

import pytest

from glassbox.observability import ObservabilityError, parse_failures, pipeline_registry

from ._samples import registry_samples, value


def _failed(node: str, template: str, phase: str, message: str) -> dict[str, str]:
    return {
        "displayName": node,
        "message": message,
        "templateName": template,
        "phase": phase,
        "podName": f"glassbox-monitoring-1-{template}-1",
        "finishedAt": "2026-03-01T02:10:00Z",
    }


# {{workflow.failures}} as Argo renders it in an exit handler (one object per failed node)
ARGO_FAILURES = json.dumps(
    [
        _failed("drift(0)", "drift", "Failed", "Error (exit code 1)"),
        _failed("drift(1)", "drift", "Failed", "Error (exit code 1)"),
        _failed("profile(2:partition=2026-02-28)", "profile", "Error", "OOMKilled"),
    ]
)


def test_failed_run_counts_failed_nodes_per_step() -> None:
    found = registry_samples(
        pipeline_registry(
            "monitoring",
            status="Failed",
            duration_seconds=900.0,
            failures=ARGO_FAILURES,
            step_durations={"window": 12.5, "drift": 300.0},
            finished_at=1_700_000_000.0,
        )
    )
    assert value(found, "glassbox_pipeline_last_run_failed", pipeline="monitoring") == 1
    assert value(found, "glassbox_pipeline_last_run_duration_seconds", pipeline="monitoring") == 900
    assert (
        value(found, "glassbox_pipeline_last_run_timestamp_seconds", pipeline="monitoring") == 1.7e9
    )
    failed = {
        dict(k[1])["step"]: v
        for k, v in found.items()
        if k[0] == "glassbox_pipeline_last_run_step_failures"
    }
    assert failed == {"drift": 2, "profile": 1, "window": 0}
    assert (
        value(
            found,
            "glassbox_pipeline_last_run_step_duration_seconds",
            pipeline="monitoring",
            step="drift",
        )
        == 300
    )


@pytest.mark.parametrize("empty", ["", "null", "[]", None])
def test_successful_run_without_failures(empty) -> None:  # type: ignore[no-untyped-def]
    found = registry_samples(pipeline_registry("training", status="Succeeded", failures=empty))
    assert value(found, "glassbox_pipeline_last_run_failed", pipeline="training") == 0
    assert not [k for k in found if k[0] == "glassbox_pipeline_last_run_step_failures"]


def test_error_status_counts_as_failed() -> None:
    found = registry_samples(pipeline_registry("training", status="Error"))
    assert value(found, "glassbox_pipeline_last_run_failed", pipeline="training") == 1


def test_parse_failures_accepts_the_decoded_list() -> None:
    assert parse_failures(json.loads(ARGO_FAILURES)) == {"drift": 2, "profile": 1}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"status": "Running"}, "status: expected one of Succeeded, Failed, Error, got 'Running'"),
        (
            {"status": "Failed", "failures": "[{"},
            r"failures: expected the JSON of \{\{workflow.failures\}\}",
        ),
        ({"status": "Failed", "failures": '{"a": 1}'}, "failures: expected a JSON list, got dict"),
        (
            {"status": "Failed", "failures": '[{"phase": "Failed"}]'},
            r"failures\[0\]: expected an object with a 'templateName'",
        ),
        ({"status": "Failed", "duration_seconds": -3}, "duration_seconds: expected seconds >= 0"),
        (
            {"status": "Failed", "step_durations": {"drift": float("nan")}},
            r"step_durations\['drift'\]: expected a number of seconds",
        ),
    ],
)
def test_bad_input_raises_one_line_naming_the_field(kwargs, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ObservabilityError, match=message):
        pipeline_registry("monitoring", **kwargs)
