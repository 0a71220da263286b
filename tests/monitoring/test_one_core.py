"""Configured static and dynamic thresholds take effect in the cron's calls of the core.

The cron's side is composed exactly as its steps call the core: the train step fits the drift
profile (saved and reloaded), the validate step infers the contract, the window step cuts months
that the profile step summarises, the drift, quality and performance steps grade them, the
findings cross to the alert step as JSON (``Findings``) and become alerts by ``to_alerts``.
That the real cron and the real ``glassbox monitor`` report the same findings on the same data
is shown on a real cron run (tests/integration/test_monitoring_cron.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from glassbox.config import DataSettings
from glassbox.drift import DriftCalculator, ReferenceProfile, profile_shard
from glassbox.monitoring import (
    Findings,
    MonitoringSettings,
    check_drift,
    check_performance,
    check_window_quality,
    quality_to_findings,
    to_alerts,
)
from glassbox.quality import DataContract

FEATURES, CATEGORICAL = ["x1", "x2", "seg"], ["seg"]
DATA = DataSettings(
    id_column="id", timestamp_column="ts", target_column="y",
    numeric_features=("x1", "x2"), categorical_features=("seg",),
)  # fmt: skip


def _frame(rng: np.random.Generator, start: str, months: int, rows: int) -> pd.DataFrame:
    x1, x2 = rng.normal(0, 1, rows), rng.lognormal(0, 0.5, rows)
    seg = rng.choice(["a", "b", "c"], rows, p=[0.5, 0.3, 0.2])
    p = 1 / (1 + np.exp(-(1.5 * x1 - 0.8 * np.log(x2) + 0.7 * (seg == "a"))))
    ts = pd.date_range(start, periods=rows, freq=f"{months * 30 * 86_400 // rows}s")
    return pd.DataFrame(
        {"id": np.arange(rows) + (0 if start < "2024" else 10**6), "ts": ts, "x1": x1, "x2": x2,
         "seg": seg, "p": p, "y": (rng.random(rows) < p).astype("int64"),
         "y_pred": (p >= 0.5).astype("int64")}
    )  # fmt: skip


@pytest.fixture(scope="module")
def frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(2024)
    reference = _frame(rng, "2023-01-01", 6, 24_000)
    window = _frame(rng, "2024-01-01", 3, 15_000)
    last = window["ts"] >= "2024-03-01"  # the last month changes
    window.loc[last, "x1"] += 0.5
    window.loc[last & (rng.random(len(window)) < 0.3), "x2"] = np.nan
    flip = last & (window["seg"] == "a")
    window.loc[flip, "y"] = 1 - window.loc[flip, "y"]
    return reference, window


def _cron(
    reference: pd.DataFrame,
    window: pd.DataFrame,
    settings: MonitoringSettings,
    tmp: Path,
    history: dict[str, Any] | None = None,
) -> set[tuple[str, Any, str]]:
    fitted = DriftCalculator(
        FEATURES, categorical=CATEGORICAL, prediction_columns=["p"],
        thresholds=settings.drift_thresholds, calibration=settings.calibration,
    ).fit(reference.loc[:, [*FEATURES, "p"]])  # train step  # fmt: skip
    profile = ReferenceProfile.load(fitted.profile.save(tmp / "profile"))
    contract = DataContract.infer(
        reference, features=FEATURES, categorical=CATEGORICAL,
        id_column="id", timestamp_column="ts", target_column="y",
    )  # validate step  # fmt: skip
    quality = quality_to_findings(  # quality step
        check_window_quality(window, contract, settings.quality, profile, target="y")
    )
    months = window["ts"].dt.to_period("M")  # window + profile steps
    shards = [(str(m), profile_shard(part.loc[:, list(profile.names)], profile))
              for m, part in window.groupby(months, sort=True)]  # fmt: skip
    calculator = DriftCalculator.from_profile(profile, settings.drift_thresholds)
    drift = check_drift(
        calculator, shards, min_partition_rows=settings.min_partition_rows, history=history
    )
    performance = check_performance(reference, window, DATA, settings)  # performance step
    documents = [
        Findings(source=name, findings=tuple(found)).model_dump_json()
        for name, found in (("quality", quality), ("drift", drift.findings()),
                            ("performance", performance.findings))
    ]  # fmt: skip
    findings = [f for doc in documents for f in Findings.model_validate_json(doc).findings]
    alerts = to_alerts(findings, "m", problems_only=True)  # alert step
    return {(a.check, a.feature, a.severity.value) for a in alerts}


def test_configured_static_and_dynamic_thresholds_take_effect_in_the_cron(
    frames: tuple[pd.DataFrame, pd.DataFrame], tmp_path: Path
) -> None:
    strict = MonitoringSettings.model_validate(
        {"nannyml": {"y_pred_proba": "p"}, "drift_thresholds": {"features": {"seg": [
            {"type": "static", "metric": "psi", "warning": 0.0, "critical": 0.0}]},
            "require_significance": False}}
    )  # fmt: skip
    assert ("data_drift", "seg", "critical") in _cron(*frames, strict, tmp_path / "a")
    # Dynamic: limits from past windows' values (the history run); its static fallback would
    # flag x1 at once, the history's limits (mean + k sd of past PSI around 0.5) do not.
    rule = {"type": "dynamic", "metric": "psi", "min_history": 3,
            "fallback": {"metric": "psi", "warning": 1e-4, "critical": 2e-4}}  # fmt: skip
    dynamic = MonitoringSettings.model_validate(
        {"nannyml": {"y_pred_proba": "p"}, "min_partition_rows": 10**9,
         "drift_thresholds": {"features": {"x1": [rule]}}}
    )  # fmt: skip
    assert ("data_drift", "x1", "critical") in _cron(*frames, dynamic, tmp_path / "b")
    history = {"x1": {"psi": [0.5, 0.6, 0.55, 0.5]}}
    assert not any(f == "x1" for _, f, _ in _cron(*frames, dynamic, tmp_path / "c", history))
