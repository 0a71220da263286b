"""What the reference itself shows, so quality checks grade the *excess* over it.

A heavy-tailed column always has values beyond 3x IQR; a column with 4 % missing values in the
reference will have about 4 % in production; a window of a million rows will hold values just
beyond the reference's min and max. Each share check therefore compares the window's share with
the reference's own (``reference_share``) and alerts only on an excess that is both larger than
the configured floor (``monitoring.quality``: warning/critical, in share points) and larger than
the reference's noise at the window's size (``noise_limit``): the count a same-distribution
window exceeds with probability ``level`` (binomial, with the reference share's own uncertainty
taken at its upper confidence bound), ``level`` being the false-alarm rate of the check split
over the columns it tests.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    import numpy as np

    from glassbox.drift import ReferenceProfile
    from glassbox.quality._contract import ColumnContract, DataContract
    from glassbox.quality._thresholds import ColumnThresholds, QualityThresholds


class ColumnBaseline(BaseModel):
    """One column's own rates in the reference (shares of its values or rows)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    rows: int = Field(ge=1)
    values: int = Field(ge=0)
    missing: int = Field(ge=0)
    outliers: int | None = Field(None, ge=0)
    singletons: int | None = Field(None, ge=0)  # categories seen once (Good-Turing)


class QualityBaseline(BaseModel):
    """The reference's own rates per column, and the false-alarm rate per window and check."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    false_alarm_rate: float = Field(0.01, gt=0, lt=0.5)
    columns: dict[str, ColumnBaseline] = Field(default_factory=dict)

    @classmethod
    def from_profile(
        cls, profile: ReferenceProfile, contract: DataContract, thresholds: QualityThresholds
    ) -> QualityBaseline:
        """Rates from a drift reference profile (sorted numeric values, category counts),
        outliers counted with the contract's fences and the configured rule."""
        import numpy as np

        columns: dict[str, ColumnBaseline] = {}
        for ref in profile.columns:
            col = contract.columns.get(ref.name)
            rows = int(ref.n + ref.missing)
            if col is None or rows == 0:
                continue
            outliers = singletons = None
            if ref.dtype == "numeric" and col.has_stats:
                values = np.asarray(ref.sorted_values, dtype=np.float64)
                outliers = int(outlier_mask(values, col, thresholds.for_column(ref.name)).sum())
            elif ref.dtype == "categorical":
                singletons = int((np.asarray(ref.counts) == 1).sum())
            columns[ref.name] = ColumnBaseline(
                rows=rows,
                values=int(ref.n),
                missing=int(ref.missing),
                outliers=outliers,
                singletons=singletons,
            )
        return cls(false_alarm_rate=profile.calibration.false_alarm_rate, columns=columns)


def outlier_mask(
    values: np.ndarray, column: ColumnContract, limits: ColumnThresholds
) -> np.ndarray:
    """Values with ``|z| > z`` or beyond the outer IQR fences (the ``outliers`` check's rule)."""
    import numpy as np

    rule = limits.outliers
    mean, std, q1, q3 = column.mean or 0.0, column.std, column.q1 or 0.0, column.q3 or 0.0
    iqr = q3 - q1
    none = np.zeros(values.size, dtype=bool)
    with np.errstate(invalid="ignore", over="ignore"):
        far_z = np.abs(values - mean) / std > rule.z if std and std > 0 else none
        margin = iqr * rule.iqr_extreme
        extreme = (values < q1 - margin) | (values > q3 + margin) if iqr > 0 else none
    return np.asarray(far_z | extreme)


def _upper(successes: int, trials: int, level: float) -> float:
    """Clopper-Pearson upper bound on a proportion at confidence ``1 - level``."""
    from scipy.stats import beta

    if trials <= 0:
        return 1.0
    if successes >= trials:
        return 1.0
    return float(beta.isf(level, successes + 1, trials - successes))


def noise_limit(reference_count: int, reference_total: int, window: int, level: float) -> float:
    """The excess share (window share - reference share) a same-distribution window exceeds
    with probability at most ``level``."""
    from scipy.stats import binom

    if window <= 0:
        return math.inf
    upper = _upper(reference_count, reference_total, level / 2)
    count = float(binom.isf(level / 2, window, upper))
    return max(0.0, count / window - reference_count / max(reference_total, 1))


def beyond_range_share(values: int, window: int, level: float) -> float:
    """The share of a window that falls outside the min/max of ``values`` reference values,
    exceeded with probability at most ``level`` (the population mass beyond the extremes of n
    draws is Beta(1, n) per side; distribution-free for continuous data)."""
    from scipy.stats import binom

    if window <= 0:
        return math.inf
    if values <= 0:
        return 0.0
    per_side = -math.expm1(math.log(level / 4) / values)  # 1 - (level/4)^(1/n)
    return float(binom.isf(level / 2, window, min(1.0, 2 * per_side))) / window
