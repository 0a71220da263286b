"""Monitoring settings parse from config mappings; bad values name the field."""

from __future__ import annotations

import pytest

from glassbox.monitoring import (
    ConstantThreshold,
    MonitoringConfigError,
    MonitorSettings,
    StdThreshold,
)


def test_defaults_chunk_by_5000_rows_with_the_documented_distance_threshold() -> None:
    settings = MonitorSettings()
    assert settings.chunking == "size=5000"
    assert settings.chunker_kwargs() == {"chunk_size": 5000}
    assert settings.drift_thresholds == {"jensen_shannon": ConstantThreshold(upper=0.1)}
    assert settings.categorical_methods == ("jensen_shannon", "chi2")
    assert settings.performance_threshold == StdThreshold()


def test_parse_reads_a_yaml_style_mapping() -> None:
    settings = MonitorSettings.parse(
        {
            "chunk_period": "W",
            "continuous_methods": ["kolmogorov_smirnov", "wasserstein"],
            "drift_thresholds": {"wasserstein": {"type": "std", "std_upper_multiplier": 4}},
            "multivariate_threshold": {"type": "constant", "upper": 1.2},
            "performance_metrics": ["roc_auc"],
        }
    )
    assert settings.chunking == "period=W"
    assert settings.chunker_kwargs() == {"chunk_period": "W"}
    assert settings.drift_thresholds["wasserstein"] == StdThreshold(std_upper_multiplier=4)
    assert settings.multivariate_threshold == ConstantThreshold(upper=1.2)
    assert MonitorSettings.parse(None) == MonitorSettings()


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (
            {"chunk_size": 1000, "chunk_period": "M"},
            r"^monitoring\.settings: .*chunk_size or chunk_period, not both",
        ),
        ({"chunk_size": 0}, r"^monitoring\.chunk_size: "),
        (
            {"chunk_period": "fortnightly"},
            r"chunk_period 'fortnightly' is not a pandas period alias",
        ),
        (
            {"drift_thresholds": {"chi2": {"type": "constant", "upper": 1}}},
            r"chi2 alerts on its p-value",
        ),
        (
            {"drift_thresholds": {"psi": {"type": "constant", "upper": 1}}},
            r"unknown drift method 'psi'",
        ),
        ({"continuous_methods": ["chi2"]}, r"^monitoring\.continuous_methods\.0: "),
        ({"performance_metrics": []}, r"^monitoring\.performance_metrics: "),
        ({"min_target_coverage": 0}, r"^monitoring\.min_target_coverage: "),
        (
            {"multivariate_threshold": {"type": "constant", "lower": 2, "upper": 1}},
            r"lower \(2.0\) must not exceed upper \(1.0\)",
        ),
        ({"chunk_sise": 5}, r"^monitoring\.chunk_sise: Extra inputs are not permitted"),
    ],
)
def test_bad_settings_raise_one_line_config_errors(raw: dict[str, object], message: str) -> None:
    with pytest.raises(MonitoringConfigError, match=message) as caught:
        MonitorSettings.parse(raw)
    assert "\n" not in str(caught.value)


def test_parse_rejects_a_non_mapping() -> None:
    with pytest.raises(MonitoringConfigError, match="must be a mapping, got list"):
        MonitorSettings.parse([1, 2])  # type: ignore[arg-type]
