"""finalize: the pipeline run's `glassbox.status` says what happened, in words."""

from __future__ import annotations

import pytest

from steps.finalize import outcome


@pytest.mark.parametrize(
    ("status", "gate", "expected"),
    [
        ("Succeeded", "passed", "succeeded"),
        ("Succeeded", "failed", "gate failed"),
        ("Succeeded", None, "succeeded"),  # a pipeline without a gate (the monitoring cron)
        ("Failed", "failed", "failed"),  # a step crashed after the gate: the crash is the news
        ("Error", "passed", "failed"),
    ],
)
def test_outcome_says_gate_failed_only_when_the_workflow_itself_succeeded(
    status: str, gate: str | None, expected: str
) -> None:
    tags = {} if gate is None else {"glassbox.gate": gate}
    assert outcome(status, tags) == expected
