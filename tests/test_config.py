from pathlib import Path

import pytest

from glassbox.config import load_settings
from glassbox.errors import ConfigError


def test_committed_settings_file_is_valid_and_lists_the_car_loan_features() -> None:
    s = load_settings(Path("mlruns_config/glassbox.yaml"), environ={})
    assert "car_value" in s.data.numeric_features
    assert "salary_range" in s.data.categorical_features
    assert s.pricing["local"] == 0.0


def test_env_overrides_a_nested_value_with_yaml_typing(tmp_path: Path) -> None:
    s = load_settings(
        Path("mlruns_config/glassbox.yaml"),
        environ={"GLASSBOX_TRACKING__EXPERIMENT": "exp-x", "GLASSBOX_GATE__MIN_ROC_AUC": "0.9"},
    )
    assert s.tracking.experiment == "exp-x"
    assert s.gate.min_roc_auc == 0.9


def test_unknown_key_is_rejected_naming_it(tmp_path: Path) -> None:
    bad = tmp_path / "g.yaml"
    bad.write_text("tracking:\n  experimnet: typo\n")
    with pytest.raises(ConfigError, match=r"tracking\.experimnet"):
        load_settings(bad, environ={})


def test_out_of_range_value_names_the_field(tmp_path: Path) -> None:
    bad = tmp_path / "g.yaml"
    bad.write_text("data:\n  holdout_fraction: 1.5\n")
    with pytest.raises(ConfigError, match=r"data\.holdout_fraction"):
        load_settings(bad, environ={})


def test_feature_in_both_lists_is_rejected(tmp_path: Path) -> None:
    bad = tmp_path / "g.yaml"
    bad.write_text("data:\n  numeric_features: [a]\n  categorical_features: [a]\n")
    with pytest.raises(ConfigError, match="both numeric and categorical"):
        load_settings(bad, environ={})


def test_plain_env_variable_sets_the_environment_tag_value() -> None:
    s = load_settings(Path("mlruns_config/glassbox.yaml"), environ={"GLASSBOX_ENV": "prod"})
    assert s.env == "prod"


def test_every_section_takes_nested_environment_overrides_by_one_rule() -> None:
    s = load_settings(
        Path("mlruns_config/glassbox.yaml"),
        environ={
            "GLASSBOX_MONITORING__CALIBRATION__FALSE_ALARM_RATE": "0.02",
            "GLASSBOX_MONITORING__NANNYML__CHUNK_SIZE": "2500",
            "GLASSBOX_ALERTS__COOLDOWN_SECONDS": "60",
            "GLASSBOX_DATA__NUMERIC_FEATURES": "[a, b]",
        },
    )
    assert s.monitoring.calibration.false_alarm_rate == 0.02
    assert s.monitoring.nannyml.chunk_size == 2500
    assert s.alerts.cooldown_seconds == 60
    assert s.data.numeric_features == ("a", "b")


def test_a_misspelt_monitoring_key_in_the_file_is_rejected_naming_it(tmp_path: Path) -> None:
    bad = tmp_path / "g.yaml"
    bad.write_text("monitoring:\n  drift_tresholds: {alpha: 0.1}\n")
    with pytest.raises(ConfigError, match=r"monitoring\.drift_tresholds: unknown key"):
        load_settings(bad, environ={})


def test_a_bad_threshold_value_names_its_path(tmp_path: Path) -> None:
    bad = tmp_path / "g.yaml"
    bad.write_text("monitoring:\n  quality:\n    missing_values: {warning: 0.5, critical: 0.1}\n")
    with pytest.raises(ConfigError, match=r"monitoring\.quality\.missing_values: critical"):
        load_settings(bad, environ={})


def test_an_unknown_section_in_the_environment_is_rejected() -> None:
    with pytest.raises(ConfigError, match=r"GLASSBOX_MONITORNIG__X: unknown settings section"):
        load_settings(None, environ={"GLASSBOX_MONITORNIG__X": "1"})


def test_glassbox_config_stops_on_an_unknown_environment_key_naming_it() -> None:
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith("GLASSBOX_")}
    proc = subprocess.run(
        [sys.executable, "-m", "glassbox", "config"],
        env=env | {"GLASSBOX_MONITORING__NO_SUCH_KEY": "1"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode != 0
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "monitoring.no_such_key" in lines[0]
    assert "GLASSBOX_MONITORING__NO_SUCH_KEY" in lines[0]


def test_a_regression_task_needs_a_gate_limit_and_a_matching_problem_type(tmp_path: Path) -> None:
    cfg = tmp_path / "g.yaml"
    cfg.write_text("model: {task: regression}\ngate: {min_r2: null}\n")
    with pytest.raises(ConfigError, match="needs at least one of min_r2, max_rmse, max_mae"):
        load_settings(cfg, environ={})
    cfg.write_text(
        "model: {task: regression}\n"
        "monitoring: {performance: {problem_type: classification_binary}}\n"
    )
    with pytest.raises(ConfigError, match=r"but model\.task is regression"):
        load_settings(cfg, environ={})
    cfg.write_text("model: {task: regression}\ngate: {max_rmse: 3.5}\n")
    settings = load_settings(cfg, environ={})
    assert settings.gate.min_r2 == 0.5 and settings.gate.max_rmse == 3.5
    with pytest.raises(ConfigError, match=r"model\.task"):
        load_settings(cfg, environ={"GLASSBOX_MODEL__TASK": "ranking"})
