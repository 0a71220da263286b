"""Retraining trigger guardrails: severity floor, cooldown, per-period cap, busy training."""

from datetime import UTC, datetime, timedelta

from glassbox.cron._retrain import RetrainPolicy, decide, past_retrains

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
POLICY = RetrainPolicy(cooldown_hours=24, period_hours=24 * 7, max_per_period=2)


def test_critical_finding_with_no_history_triggers() -> None:
    d = decide("critical", POLICY, [], training_running=False, now=NOW)
    assert d.retrain
    assert "guardrails passed" in d.reason


def test_warning_is_below_the_default_floor() -> None:
    d = decide("warning", POLICY, [], training_running=False, now=NOW)
    assert not d.retrain
    assert "below 'critical'" in d.reason


def test_never_while_a_training_pipeline_is_running() -> None:
    d = decide("critical", POLICY, [], training_running=True, now=NOW)
    assert not d.retrain
    assert "running" in d.reason


def test_cooldown_blocks_a_second_trigger_the_same_day() -> None:
    d = decide("critical", POLICY, [NOW - timedelta(hours=3)], training_running=False, now=NOW)
    assert not d.retrain
    assert "cooldown" in d.reason
    later = decide("critical", POLICY, [NOW - timedelta(hours=25)], False, now=NOW)
    assert later.retrain


def test_at_most_n_per_period() -> None:
    past = [NOW - timedelta(days=2), NOW - timedelta(days=4)]
    d = decide("critical", POLICY, past, training_running=False, now=NOW)
    assert not d.retrain
    assert "max 2" in d.reason
    old = [NOW - timedelta(days=8), NOW - timedelta(days=9)]
    assert decide("critical", POLICY, old, False, now=NOW).retrain


def test_disabled_policy_never_triggers() -> None:
    policy = POLICY.model_copy(update={"enabled": False})
    assert not decide("critical", policy, [], False, now=NOW).retrain


def test_retrain_timestamps_round_trip_through_the_tag() -> None:
    stamps = [NOW - timedelta(days=1), NOW]
    assert past_retrains(",".join(t.isoformat() for t in stamps)) == stamps
    assert past_retrains(None) == []
