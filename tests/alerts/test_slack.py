"""Slack: what reaches a real webhook receiver is valid Block Kit with the alert's facts."""

from __future__ import annotations

import pytest

from glassbox.alerts import slack_message

from ._blockkit import block_kit_problems
from ._receiver import Receiver
from .conftest import RouterFactory, make_alert


def test_warning_reaches_slack_as_valid_block_kit(
    receiver: Receiver, make_router: RouterFactory
) -> None:
    router = make_router(slack=receiver, pagerduty=receiver)
    report = router.send(make_alert("warning"))
    assert report.flush.ok
    [request] = receiver.accepted("slack")
    body = request.json
    assert block_kit_problems(body) == []
    assert [b["type"] for b in body["blocks"]] == ["header", "section", "context"]
    assert body["blocks"][0]["text"]["text"].startswith(":warning: WARNING car-loan-default")
    fields = [f["text"] for f in body["blocks"][1]["fields"]]
    assert "*Feature*\ncar_value" in fields
    assert "*psi*\n0.31" in fields
    links = body["blocks"][2]["elements"][0]["text"]
    assert "|MLflow run>" in links
    assert "|Evidently report>" in links
    assert "Runbook: `docs/runbook.md#data-drift`" in links  # relative: shown, not linked
    assert body["text"].startswith("WARNING car-loan-default: data_drift on car_value")
    assert request.dedup_key == make_alert().dedup_key


def test_runbook_link_is_clickable_when_the_runbook_base_is_a_url() -> None:
    message = slack_message(
        make_alert(), "trigger", runbook_base="https://git.example.org/g/blob/main/docs/runbook.md"
    )
    links = message["blocks"][2]["elements"][0]["text"]
    assert "<https://git.example.org/g/blob/main/docs/runbook.md#data-drift|Runbook>" in links


def test_recovery_message_is_valid_and_says_recovered() -> None:
    message = slack_message(
        make_alert("none", summary="PSI back to 0.03"), "resolve", runbook_base="docs/runbook.md"
    )
    assert block_kit_problems(message) == []
    assert message["blocks"][0]["text"]["text"].startswith(":white_check_mark: RECOVERED")
    assert "*Severity*\nrecovered" in [f["text"] for f in message["blocks"][1]["fields"]]


def test_long_and_hostile_input_stays_within_slack_limits_and_is_escaped() -> None:
    alert = make_alert(
        "critical",
        model="m" * 200,
        feature="<!channel> & co",
        summary="x" * 4000,
        details={f"metric_{i}": i * 0.5 for i in range(20)},
        report_url="http://r/a|b>c",
    )
    message = slack_message(alert, "trigger", runbook_base="docs/runbook.md")
    assert block_kit_problems(message) == []
    assert len(message["blocks"][0]["text"]["text"]) == 150
    assert len(message["blocks"][1]["fields"]) == 10
    assert "&lt;!channel&gt; &amp; co" in message["blocks"][1]["fields"][2]["text"]
    mrkdwn = [message["text"], message["blocks"][1]["text"]["text"]]
    mrkdwn += [f["text"] for f in message["blocks"][1]["fields"]]
    mrkdwn += [e["text"] for e in message["blocks"][2]["elements"]]
    assert not any("<!channel>" in text for text in mrkdwn)  # no accidental @channel ping
    assert "<http://r/a%7Cb&gt;c|Evidently report>" in message["blocks"][2]["elements"][0]["text"]


@pytest.mark.parametrize(
    ("message", "problem"),
    [
        (
            {"text": "t", "blocks": [{"type": "header", "text": {"type": "mrkdwn", "text": "h"}}]},
            "header takes a plain_text",
        ),
        (
            {
                "text": "t",
                "blocks": [{"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}],
            },
            "expected 1..150 chars",
        ),
        (
            {
                "text": "t",
                "blocks": [{"type": "section", "fields": [{"type": "mrkdwn", "text": "f"}] * 11}],
            },
            "expected 1..10 text objects",
        ),
        (
            {"text": "t", "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": ""}}]},
            "expected 1..3000 chars",
        ),
        (
            {
                "text": "t",
                "blocks": [
                    {"type": "section", "text": {"type": "mrkdwn", "text": "a", "emoji": True}}
                ],
            },
            "not allowed on mrkdwn",
        ),
        ({"text": "t", "blocks": [{"type": "hero"}]}, "unsupported block type"),
        ({"blocks": [{"type": "divider"}]}, "fallback is required"),
        ({"text": "t", "blocks": [{"type": "context", "elements": []}]}, "1..10 elements"),
    ],
)
def test_the_sdk_block_kit_validation_rejects_what_slack_rejects(
    message: dict, problem: str
) -> None:
    problems = block_kit_problems(message)
    assert problems, f"accepted although {problem}"
