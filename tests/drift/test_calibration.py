"""Calibrated thresholds: windows from the reference's own distribution rarely alert (at about
the configured rate, whatever the column's shape or the window's size); real changes do."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from glassbox.drift import DriftCalculator, ReferenceProfile
from glassbox.quality import DataContract, QualityBaseline, quality_findings

LEVELS = np.array(["a", "b", "c", "d", "rare1", "rare2"])
SHARES = np.array([0.4, 0.3, 0.2, 0.095, 0.004, 0.001])


def _frame(rng: np.random.Generator, n: int, shift: float = 0.0) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "lognormal": rng.lognormal(0, 0.8, n) + shift * 1.1,
            "counts": rng.poisson(3, n).astype(float),
            "segment": rng.choice(LEVELS, n, p=SHARES),
        }
    )


def test_same_distribution_windows_alert_at_most_at_the_configured_rate() -> None:
    rng = np.random.default_rng(7)
    calculator = DriftCalculator(
        ["lognormal", "counts", "segment"],
        categorical=["segment"],
        calibration={"false_alarm_rate": 0.05, "resamples": 5000},
    ).fit(_frame(rng, 20_000))
    windows = 240
    alarms = sum(
        calculator.calculate(_frame(rng, size)).severity != "none"
        for size in (500, 2_000, 10_000, 50_000)
        for _ in range(windows // 4)
    )
    # 5 % per window for the whole check; binomial sd over 240 windows is 1.4 points.
    assert alarms / windows <= 0.05 + 3 * 0.014
    shifted = calculator.calculate(_frame(rng, 5_000, shift=0.2))
    assert shifted["lognormal"].severity != "none"
    assert "calibrated" in shifted["lognormal"].reasons[0]


def test_the_calibration_rate_is_stored_in_the_reference_profile(tmp_path: Path) -> None:
    rng = np.random.default_rng(8)
    calculator = DriftCalculator(["counts"], calibration={"false_alarm_rate": 0.02}).fit(
        _frame(rng, 2_000)
    )
    loaded = ReferenceProfile.load(calculator.profile.save(tmp_path / "p"))
    assert loaded.calibration.false_alarm_rate == 0.02
    assert ReferenceProfile.from_bytes(calculator.profile.to_bytes()).calibration == (
        calculator.profile.calibration
    )


def test_a_heavy_tail_is_graded_against_the_reference_s_own_outlier_share() -> None:
    rng = np.random.default_rng(9)
    reference = _frame(rng, 20_000).assign(id=range(20_000), ts=pd.Timestamp("2024-01-01"))
    contract = DataContract.infer(
        reference,
        features=["lognormal", "counts", "segment"],
        categorical=["segment"],
        id_column="id",
        timestamp_column="ts",
    )
    profile = (
        DriftCalculator(["lognormal", "counts", "segment"], categorical=["segment"])
        .fit(reference)
        .profile
    )
    from glassbox.quality import QualityThresholds

    baseline = QualityBaseline.from_profile(profile, contract, QualityThresholds())
    assert baseline.columns["lognormal"].outliers  # a log-normal tail beyond 3x IQR
    window = _frame(rng, 50_000).assign(id=range(50_000), ts=pd.Timestamp("2024-02-01"))
    found = quality_findings(window, contract, baseline=baseline)
    outliers = next(f for f in found if f.check.endswith("outliers") and f.column == "lognormal")
    assert outliers.observed and outliers.observed > 0.01  # above the absolute 1 % floor...
    assert outliers.severity == "none"  # ...but not above the reference's own share
    window.loc[: len(window) // 10, "lognormal"] = 1e6  # 10 % far outliers: a real problem
    found = quality_findings(window, contract, baseline=baseline)
    assert any(f.check.endswith("outliers") and f.severity == "critical" for f in found)
