"""Options: role columns, one-line option errors, thresholds taken from the project settings."""

from __future__ import annotations

import inspect

import numpy as np
import pytest

from glassbox.check import DEFAULT_EVIDENTLY_ROWS, CheckConfigError, MonitorOptions, Roles, check

from ._data import features


def test_a_column_given_two_roles_is_refused() -> None:
    with pytest.raises(
        CheckConfigError, match=r"^column 'p' is given as --proba and --prediction$"
    ):
        MonitorOptions.create(roles={"proba": "p", "prediction": "p"})


def test_an_out_of_range_option_names_the_option() -> None:
    with pytest.raises(CheckConfigError, match=r"^--chunk-size: .*greater than or equal to 1"):
        MonitorOptions.create(chunk_size=0)


def test_roles_know_when_performance_can_run() -> None:
    assert Roles(target="y", proba="p").performance
    assert not Roles(target="y").performance
    assert Roles(proba="p", prediction="c").outputs == ("p", "c")


def test_drift_thresholds_come_from_the_settings() -> None:
    reference, current = features(5_000, seed=1), features(5_000, seed=2, shift_sd=0.5)
    lenient = {"default": [{"type": "static", "metric": "psi", "warning": 0.5, "critical": 0.9}]}

    default = check(reference, current, MonitorOptions.from_settings({}, report=False))
    relaxed = check(
        reference,
        current,
        MonitorOptions.from_settings({"drift_thresholds": lenient}, report=False),
    )

    assert default.flagged_features == ["income"]
    assert relaxed.flagged_features == []
    assert relaxed.document["drift"]["thresholds"]["default"][0]["warning"] == 0.5


def test_quality_overrides_apply_to_their_column_and_others_are_ignored() -> None:
    current = features(5_000, seed=4)
    current.loc[np.random.default_rng(0).random(5_000) < 0.3, "age"] = np.nan
    monitoring = {
        "quality": {
            "columns": {
                "age": {"missing_values": {"warning": 0.4, "critical": 0.5}},
                "car_value": {"missing_values": {"warning": 0.0, "critical": 0.0}},  # not here
            }
        }
    }

    report = check(
        features(5_000, seed=3), current, MonitorOptions.from_settings(monitoring, report=False)
    )

    assert report.flagged_features == []


def test_invalid_threshold_settings_name_the_setting() -> None:
    with pytest.raises(CheckConfigError, match=r"^settings: monitoring\.drift_thresholds\.alpha: "):
        MonitorOptions.from_settings({"drift_thresholds": {"alpha": 2}})
    with pytest.raises(CheckConfigError, match=r"^settings: monitoring\.quality\.duplicate_ids"):
        MonitorOptions.from_settings({"quality": {"duplicate_ids": {"warning": 2, "critical": 3}}})


def test_the_command_line_default_sample_is_the_library_default() -> None:
    from glassbox.cli import monitor

    default = inspect.signature(monitor).parameters["evidently_rows"].default
    assert default == DEFAULT_EVIDENTLY_ROWS
