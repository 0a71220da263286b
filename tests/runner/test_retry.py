"""retryStrategy parsing and Argo durations."""

from __future__ import annotations

import pytest

from glassbox.runner import ManifestError
from glassbox.runner._retry import RetryPlan, parse_duration


@pytest.mark.parametrize(
    ("value", "seconds"),
    [("30", 30), (15, 15), ("5s", 5), ("1m", 60), ("1h30m", 5400), ("1.5s", 1.5), ("250ms", 0.25)],
)
def test_durations(value: object, seconds: float) -> None:
    assert parse_duration(value, "x") == pytest.approx(seconds)


@pytest.mark.parametrize("value", ["", "5 s", "1d", "soon", True, None])
def test_bad_durations_name_the_field(value: object) -> None:
    with pytest.raises(
        ManifestError, match=r"^retryStrategy\.backoff\.duration: expected a duration"
    ):
        parse_duration(value, "retryStrategy.backoff.duration")


def test_limit_as_int_or_string_and_default_policy() -> None:
    assert RetryPlan.parse({"limit": 2}, "t") == RetryPlan(limit=2, policy="OnFailure")
    assert RetryPlan.parse({"limit": "3"}, "t") == RetryPlan(limit=3, policy="OnFailure")
    assert RetryPlan.parse({}, "t") == RetryPlan(limit=None, policy="OnFailure")
    assert RetryPlan.parse(None, "t") is None


def test_limit_counts_retries_not_attempts() -> None:
    plan = RetryPlan(limit=2, policy="Always")

    assert [plan.has_retry_left(made) for made in (1, 2, 3)] == [True, True, False]
    assert RetryPlan(limit=None, policy="Always").has_retry_left(1000)


@pytest.mark.parametrize(
    ("policy", "failed", "errored"),
    [
        ("Always", True, True),
        ("OnFailure", True, False),
        ("OnError", False, True),
        ("OnTransientError", False, False),
    ],
)
def test_policies(policy: str, failed: bool, errored: bool) -> None:
    plan = RetryPlan(limit=1, policy=policy)

    assert plan.retries_phase("Failed") is failed
    assert plan.retries_phase("Error") is errored


def test_backoff_grows_by_factor_and_is_capped() -> None:
    plan = RetryPlan.parse(
        {"limit": 5, "backoff": {"duration": "1s", "factor": 2, "cap": "5s"}}, "t"
    )

    assert plan is not None
    assert [plan.wait_before_retry(n) for n in range(1, 6)] == [1, 2, 4, 5, 5]
    assert RetryPlan(limit=1, policy="Always").wait_before_retry(1) == 0


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"limit": "many"}, r"retryStrategy.limit: expected an integer, got 'many'"),
        ({"retryPolicy": "Sometimes"}, r"retryPolicy 'Sometimes' is not one of Always, OnFailure"),
        ({"backoff": {"factor": 2}}, "retryStrategy.backoff.duration is missing"),
        (
            {"expression": "lastRetry.exitCode in [1, 2]"},
            r"retryStrategy.expression: .*unsupported",
        ),
    ],
)
def test_invalid_retry_strategy(spec: dict[str, object], message: str) -> None:
    with pytest.raises(ManifestError, match=message):
        RetryPlan.parse(spec, "template 'train'")


@pytest.mark.parametrize(
    ("expression", "exit_code", "status", "allowed"),
    [
        ("asInt(lastRetry.exitCode) != 2", 1, "Failed", True),
        ("asInt(lastRetry.exitCode) != 2", 2, "Failed", False),
        ("lastRetry.status == 'Error' || asInt(lastRetry.exitCode) > 2", 1, "Error", True),
        ("lastRetry.status == 'Error' or asInt(lastRetry.exitCode) > 2", 1, "Failed", False),
        ("lastRetry.exitCode == '137'", 137, "Failed", True),
        ("lastRetry.duration < 10 and lastRetry.status == 'Failed'", 1, "Failed", True),
    ],
)
def test_retry_expression_reads_the_last_attempt(
    expression: str, exit_code: int, status: str, allowed: bool
) -> None:
    plan = RetryPlan.parse({"limit": 3, "expression": expression}, "template 'train'")
    assert plan is not None
    assert plan.expression_allows(exit_code, status, 1.5) is allowed
