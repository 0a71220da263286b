"""PagerDuty: valid Events v2 on a real receiver; trigger and resolve share the dedup key."""

from __future__ import annotations

from glassbox.alerts import PagerDutyChannel, pagerduty_event

from ._pagerduty_standin import events_v2_problems
from ._receiver import Receiver
from .conftest import PD_KEY, FakeClock, RouterFactory, make_alert


def test_critical_triggers_then_recovery_resolves_the_same_incident(
    receiver: Receiver, make_router: RouterFactory, clock: FakeClock
) -> None:
    router = make_router(slack=receiver, pagerduty=receiver, clock=clock)
    router.send(make_alert("critical"))
    clock.advance(hours=1)
    router.send(make_alert("none", summary="PSI back to 0.04"))

    events = [r.json for r in receiver.accepted("pagerduty")]
    assert [e["event_action"] for e in events] == ["trigger", "resolve"]
    assert all(events_v2_problems(e) == [] for e in events)
    assert events[0]["dedup_key"] == events[1]["dedup_key"] == make_alert().dedup_key
    trigger = events[0]
    assert trigger["routing_key"] == PD_KEY
    payload = trigger["payload"]
    assert payload["severity"] == "critical"
    assert payload["component"] == "car-loan-default"
    assert payload["group"] == "data_drift"
    assert payload["class"] == "data_drift"
    assert payload["custom_details"]["feature"] == "car_value"
    assert payload["custom_details"]["detail.psi"] == 0.31
    assert payload["custom_details"]["runbook"] == "docs/runbook.md#data-drift"
    assert [link["text"] for link in trigger["links"]] == ["MLflow run", "Evidently report"]
    # Slack got the critical and the recovery, too
    slack = [r.json["blocks"][0]["text"]["text"] for r in receiver.accepted("slack")]
    assert slack[0].startswith(":rotating_light: CRITICAL")
    assert slack[1].startswith(":white_check_mark: RECOVERED")


def test_summary_is_cut_to_the_1024_character_limit() -> None:
    event = pagerduty_event(
        make_alert("critical", summary="y" * 4000),
        "trigger",
        routing_key=PD_KEY,
        source="glassbox",
        runbook_base="docs/runbook.md",
    )
    assert len(event["payload"]["summary"]) == 1024
    assert events_v2_problems(event) == []


def test_warning_maps_to_the_warning_enum_and_sub_checks_to_their_group() -> None:
    event = pagerduty_event(
        make_alert("warning", check="data_quality.missing_values"),
        "trigger",
        routing_key=PD_KEY,
        source="cron-pod-1",
        runbook_base="https://docs.example.org/runbook.md",
    )
    assert event["payload"]["severity"] == "warning"
    assert event["payload"]["group"] == "data_quality"
    assert event["payload"]["class"] == "data_quality.missing_values"
    assert event["links"][-1] == {
        "href": "https://docs.example.org/runbook.md#data-quality-missing-values",
        "text": "Runbook",
    }


def test_resolve_carries_only_what_the_api_needs() -> None:
    event = pagerduty_event(
        make_alert("none"), "resolve", routing_key=PD_KEY, source="g", runbook_base="r.md"
    )
    assert event == {
        "routing_key": PD_KEY,
        "event_action": "resolve",
        "dedup_key": make_alert().dedup_key,
    }


def test_the_events_v2_checker_rejects_invalid_events() -> None:
    good = pagerduty_event(
        make_alert("critical"), "trigger", routing_key=PD_KEY, source="g", runbook_base="r.md"
    )
    assert events_v2_problems({**good, "event_action": "open"})
    assert events_v2_problems({**good, "routing_key": "short"})
    assert events_v2_problems({**good, "payload": {**good["payload"], "severity": "high"}})
    assert events_v2_problems({**good, "payload": {**good["payload"], "summary": "s" * 1025}})
    assert events_v2_problems({"routing_key": PD_KEY, "event_action": "resolve"})
    assert events_v2_problems({**good, "extra": 1})


def test_channel_repr_hides_the_routing_key() -> None:
    channel = PagerDutyChannel(PD_KEY, events_url="http://127.0.0.1:9/v2/enqueue")
    assert PD_KEY not in repr(channel)
