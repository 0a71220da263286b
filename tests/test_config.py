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
