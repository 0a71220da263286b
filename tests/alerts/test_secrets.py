"""The webhook URL and routing key never reach logs, the outbox, errors, reports or reprs."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from glassbox.alerts import AlertConfigError, AlertRouter, PagerDutyChannel, SlackChannel

from ._receiver import PD_PATH, SLACK_PREFIX, Receiver, Reply
from .conftest import PD_KEY, SLACK_PATH, RouterFactory, make_alert

SLACK_MARKER = SLACK_PATH.rsplit("/", 1)[1]


def _assert_clean(text: str, where: str) -> None:
    for marker in (SLACK_MARKER, SLACK_PATH, PD_KEY):
        assert marker not in text, f"secret marker leaked into {where}"


def test_secrets_stay_out_of_logs_outbox_errors_and_reports(
    receiver: Receiver,
    make_router: RouterFactory,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)  # every logger, slack_sdk's and stamina's included
    # Slack answers with an error page that echoes the (secret) request path; PagerDuty
    # throttles once, then rejects the event with a body that echoes nothing useful.
    receiver.script(SLACK_PREFIX, Reply(500, b"", echo_path=True), Reply(404, b"", echo_path=True))
    receiver.script(PD_PATH, Reply(429, b"{}", {"Retry-After": "0"}), Reply(400, b"bad key"))
    router = make_router(slack=receiver, pagerduty=receiver)
    report = router.send(make_alert("critical"))
    router.flush()

    assert {f.channel for f in report.flush.failed} == {"slack", "pagerduty"}
    for failure in report.flush.failures:
        _assert_clean(failure.error, "a delivery failure")
    assert "[redacted]" in report.flush.failed[0].error  # the echo was there, and was scrubbed
    for row in router.outbox():
        _assert_clean(row.alert.to_json() + (row.last_error or "") + row.channel, "an outbox row")
    for path in (tmp_path / "state").iterdir():
        _assert_clean(path.read_bytes().decode("latin-1"), path.name)
    _assert_clean(caplog.text, "the log")
    assert "slack delivery" in caplog.text  # the failures were logged, without the secret
    captured = capfd.readouterr()
    _assert_clean(captured.out + captured.err, "stdout/stderr")
    _assert_clean(repr(router._channels), "channel reprs")


def test_invalid_webhook_url_error_does_not_echo_the_value(tmp_path: Path) -> None:
    bad = f"ftp://hooks.invalid{SLACK_PATH}"
    with pytest.raises(AlertConfigError, match="SLACK_WEBHOOK_URL: expected an http") as info:
        AlertRouter.from_env({"state_dir": tmp_path}, environ={"SLACK_WEBHOOK_URL": bad})
    _assert_clean(str(info.value), "the exception")


def test_connection_errors_are_redacted_even_when_the_url_shows_up(tmp_path: Path) -> None:
    channel = SlackChannel(f"http://127.0.0.1:9{SLACK_PATH}", timeout=1)
    from glassbox.alerts import RetryableDeliveryError

    with pytest.raises(RetryableDeliveryError) as info:
        channel.deliver("trigger", make_alert(), runbook_base="r.md")
    _assert_clean(str(info.value), "the exception")
    pd = PagerDutyChannel(PD_KEY, events_url="http://127.0.0.1:9/v2/enqueue", timeout=1)
    with pytest.raises(RetryableDeliveryError) as info:
        pd.deliver("trigger", make_alert(), runbook_base="r.md")
    _assert_clean(str(info.value), "the exception")
