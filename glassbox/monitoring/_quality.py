"""The quality check of the monitoring core: a window against the data contract, each share
graded on its excess over the reference's own (``QualityBaseline`` from the drift profile)."""

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
