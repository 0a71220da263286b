"""The quality check of the monitoring core: a window against the data contract, each share
graded on its excess over the reference's own (``QualityBaseline`` from the drift profile).

``check_window_quality`` is what the cron's quality step and ``glassbox monitor --contract``
run: the window's columns that the contract names, without the target (labels arrive later:
a label not there yet is not a missing value)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

    from glassbox.drift import ReferenceProfile
    from glassbox.quality import DataContract, QualityFinding, QualityThresholds


def check_quality(
    window: pd.DataFrame,
    contract: DataContract,
    thresholds: QualityThresholds,
    profile: ReferenceProfile | None = None,
) -> list[QualityFinding]:
    """Every quality check (passing ones included); with ``profile``, shares are graded on the
    excess over the reference's own and its noise at the window's size."""
    from glassbox.quality import QualityBaseline, quality_findings

    baseline = QualityBaseline.from_profile(profile, contract, thresholds) if profile else None
    return quality_findings(window, contract, thresholds=thresholds, baseline=baseline)


def check_window_quality(
    window: pd.DataFrame,
    contract: DataContract,
    thresholds: QualityThresholds,
    profile: ReferenceProfile | None = None,
    *,
    target: str | None = None,
) -> list[QualityFinding]:
    """:func:`check_quality` of a prediction window against the model's data contract: the
    target (``target``, and the contract's own target column) is left out and columns the
    contract does not name (model outputs, bookkeeping) are not looked at."""
    labels = {*contract.with_role("target"), *([target] if target else [])} & set(contract.columns)
    agreed = contract.without(*sorted(labels)) if labels else contract
    known = [c for c in window.columns if c in agreed.columns]
    return check_quality(window.loc[:, known], agreed, thresholds, profile)
