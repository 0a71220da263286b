"""The Alert model: validation with one-line errors, and a dedup key that ignores severity."""

from __future__ import annotations

import json

import pytest

from glassbox.alerts import Alert, AlertError, Severity, make_dedup_key

from .conftest import make_alert


def test_dedup_key_is_the_same_for_every_severity_of_one_problem() -> None:
    keys = {make_alert(severity).dedup_key for severity in ("none", "warning", "critical")}
    assert len(keys) == 1


def test_dedup_key_differs_by_model_check_and_feature() -> None:
    base = make_alert()
    others = [
        make_alert(model="other-model"),
        make_alert(check="prediction_drift"),
        make_alert(feature="loan_length"),
        make_alert(feature=None),
    ]
    assert len({base.dedup_key, *(a.dedup_key for a in others)}) == 5


def test_dedup_key_is_stable_readable_and_bounded() -> None:
    key = make_dedup_key("car-loan-default", "data_drift", "car_value")
    assert key == make_alert().dedup_key
    assert key.startswith("glassbox-car-loan-default-data_drift-car_value-")
    long_key = make_dedup_key("m" * 200, "data_drift", "f" * 200)
    assert len(long_key) <= 255


def test_dedup_key_does_not_collide_when_slugs_do() -> None:
    # "Car Value" and "car-value" slug identically; the hash of the exact parts keeps them apart
    assert make_dedup_key("m", "data_drift", "Car Value") != make_dedup_key(
        "m", "data_drift", "car-value"
    )


def test_unknown_check_is_rejected_with_a_one_line_message_naming_the_field() -> None:
    with pytest.raises(AlertError, match=r"field 'check': unknown check 'drfit'") as info:
        make_alert(check="drfit")
    assert "\n" not in str(info.value)


def test_bad_severity_and_empty_summary_are_named() -> None:
    with pytest.raises(AlertError, match=r"field 'severity'.*field 'summary'"):
        make_alert(severity="urgent", summary="  ")


def test_data_quality_sub_checks_are_accepted_and_link_to_their_section() -> None:
    missing = make_alert(check="data_quality.missing_values")
    assert missing.runbook_anchor == "data-quality-missing-values"
    assert missing.check_group == "data_quality"
    unknown_sub = make_alert(check="data_quality.shape_of_things")
    assert unknown_sub.runbook_anchor == "data-quality"


def test_details_must_stay_small_and_non_finite_numbers_become_text() -> None:
    with pytest.raises(AlertError, match=r"field 'details': expected at most 20 entries"):
        make_alert(details={f"k{i}": i for i in range(21)})
    alert = make_alert(details={"psi": float("nan"), "max": float("inf"), "rows": 10})
    assert alert.details == {"psi": "nan", "max": "inf", "rows": 10}
    json.loads(alert.to_json())  # strict JSON: no NaN literals


def test_urls_with_whitespace_are_rejected() -> None:
    with pytest.raises(AlertError, match=r"field 'report_url': expected a URL without whitespace"):
        make_alert(report_url="http://x/a b")


def test_alert_is_frozen_and_round_trips_through_json() -> None:
    alert = make_alert("critical")
    with pytest.raises(Exception, match="frozen"):
        alert.severity = Severity.NONE  # type: ignore[misc]
    assert Alert.from_json(alert.to_json()) == alert


def test_from_json_rejects_a_corrupt_record_with_the_library_error() -> None:
    with pytest.raises(AlertError, match="invalid alert"):
        Alert.from_json('{"model": "m"}')


def test_naive_timestamps_are_taken_as_utc() -> None:
    from datetime import datetime

    alert = make_alert(created_at=datetime(2026, 1, 2, 3, 4, 5))
    assert alert.created_at.isoformat() == "2026-01-02T03:04:05+00:00"


def test_links_carry_mlflow_run_evidently_report_and_runbook_section() -> None:
    links = make_alert().links("https://git.example.org/glassbox/blob/main/docs/runbook.md")
    assert [link.text for link in links] == ["MLflow run", "Evidently report", "Runbook"]
    assert links[2].href.endswith("docs/runbook.md#data-drift")
