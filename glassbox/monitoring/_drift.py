"""The drift check of the monitoring core: the whole window and each of its partitions.

``check_drift(calculator, partitions)`` merges the partitions' shard profiles (the cron's map
step made one per month; ``glassbox monitor`` makes them the same way from a frame), grades the
whole window and every partition with at least ``min_partition_rows`` rows, and gives each column
the worst of those severities, so a shift in the last month is not diluted by the months before
it. Calibrated thresholds count every look (the window and each graded partition) against the
check's false-alarm rate.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from glassbox.monitoring._findings import SEVERITY_RANK, Finding, Severity, drift_to_findings

if TYPE_CHECKING:
    import pandas as pd

    from glassbox.drift import DriftCalculator, DriftResult, ShardProfile


@dataclass(frozen=True)
class PartitionDrift:
    name: str
    result: DriftResult
    graded: bool

    def summary(self, index: int) -> dict[str, Any]:
        return {
            "index": index,
            "partition": self.name,
            "rows": self.result.n_current_rows,
            "graded": self.graded,
            "flagged": [f.name for f in self.result.flagged()] if self.graded else [],
        }


@dataclass(frozen=True)
class DriftCheck:
    result: DriftResult
    partitions: tuple[PartitionDrift, ...]
    severities: dict[str, Severity]  # per column: the worst of the window and its partitions

    @property
    def severity(self) -> Severity:
        return max(self.severities.values(), key=SEVERITY_RANK.__getitem__, default="none")

    @property
    def flagged(self) -> list[str]:
        return [name for name, s in self.severities.items() if s != "none"]

    def findings(
        self, report_url: str | None = None, *, skip_no_data: bool = True
    ) -> list[Finding]:
        """One finding per column; a column with no value in the window is left to the
        quality check's ``all_nan_column`` finding (one alert for one problem, in the cron and
        in ``glassbox monitor`` alike)."""
        return drift_to_findings(
            self.result, self.severities, report_url=report_url, skip_no_data=skip_no_data
        )


def monthly_shards(
    frame: pd.DataFrame, timestamp: str | None, calculator: DriftCalculator
) -> list[tuple[str, ShardProfile]]:
    """One shard profile per calendar month of ``timestamp`` (one for the whole frame without
    a usable timestamp), as the cron's window and map steps make them."""
    import pandas as pd

    from glassbox.drift import profile_shard

    columns = list(calculator.profile.names)
    moments = None
    if timestamp is not None:
        moments = pd.to_datetime(frame[timestamp], errors="coerce", utc=True).dt.tz_localize(None)
    if moments is None or moments.isna().any():  # no usable timestamp: the window is one part
        return [("all", profile_shard(frame.loc[:, columns], calculator.profile))]
    months = moments.dt.to_period("M")
    return [
        (str(period), profile_shard(part.loc[:, columns], calculator.profile))
        for period, part in frame.groupby(months, sort=True)
    ]


def check_drift(
    calculator: DriftCalculator,
    partitions: Sequence[tuple[str, ShardProfile]],
    *,
    min_partition_rows: int = 1000,
    history: Mapping[str, Any] | None = None,
) -> DriftCheck:
    from glassbox.drift import merge

    graded = {
        name
        for name, shard in partitions
        if len(partitions) > 1 and shard.n_rows >= min_partition_rows
    }
    looks = 1 + len(graded)
    result = calculator.calculate_from_profile(
        merge([shard for _, shard in partitions]), history=history, looks=looks
    )
    parts = tuple(
        PartitionDrift(name, calculator.calculate_from_profile(shard, looks=looks), name in graded)
        for name, shard in partitions
    )
    severities: dict[str, Severity] = {f.name: f.severity for f in result.features}
    for part in parts:
        if part.graded:
            for f in part.result.features:
                if SEVERITY_RANK[f.severity] > SEVERITY_RANK[severities[f.name]]:
                    severities[f.name] = f.severity
    return DriftCheck(result, parts, severities)


def graded_result(checked: DriftCheck) -> DriftResult:
    """The whole window's result with each column's severity the worst over the looks."""
    import dataclasses

    from glassbox.drift import DriftResult

    result = checked.result
    features = tuple(
        dataclasses.replace(f, severity=checked.severities[f.name]) for f in result.features
    )
    return DriftResult(features, result.n_current_rows, result.reference_fingerprint, result.alpha)
