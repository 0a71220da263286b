"""Drift statistics engine: fast, mergeable, exact where it matters.

``DriftCalculator(features, categorical, prediction_columns, thresholds).fit(reference)`` builds a
``ReferenceProfile`` (quantile bins, sorted reference values, category counts) that serialises
without pickle; ``calculate(current)`` returns a ``DriftResult`` with PSI, Jensen-Shannon
distance, KL divergence, exact KS (+ p-value), chi-squared (+ p-value), exact Wasserstein (raw
and normalised by the reference std), Benjamini-Hochberg adjusted p-values and a severity per
column graded on effect sizes. For windows too large for one process, ``profile_shard`` each
part, ``merge`` the ``ShardProfile``s and ``calculate_from_profile``.

Bad input raises ``DriftInputError`` (a ``DriftError``) naming the column: a missing column, a
numeric feature holding non-numbers or infinities, an empty current window, a reference column
with no non-missing value. A current column that is entirely missing is *not* an error: its
``FeatureDrift`` has ``status="no_data"``, NaN statistics and severity ``critical``.
"""

from glassbox.drift._calculator import DriftCalculator
from glassbox.drift._calibration import CALIBRATED_METRICS, Calibration, ks_limit, shares_limit
from glassbox.drift._errors import DriftConfigError, DriftError, DriftInputError
from glassbox.drift._history import METRICS as HISTORY_METRICS
from glassbox.drift._history import DriftHistory
from glassbox.drift._profile import CategoricalReference, NumericReference, ReferenceProfile
from glassbox.drift._result import DriftResult, FeatureDrift
from glassbox.drift._shard import (
    DEFAULT_EXACT_THRESHOLD,
    DEFAULT_KLL_K,
    ShardProfile,
    merge,
    profile_shard,
)
from glassbox.drift._stats import EPSILON, chi2_homogeneity, js_distance, kl_divergence, psi
from glassbox.drift._thresholds import (
    CalibratedThreshold,
    DriftThresholds,
    DynamicThreshold,
    Metric,
    Severity,
    StaticThreshold,
)

__all__ = [
    "CALIBRATED_METRICS",
    "DEFAULT_EXACT_THRESHOLD",
    "DEFAULT_KLL_K",
    "EPSILON",
    "HISTORY_METRICS",
    "CalibratedThreshold",
    "Calibration",
    "CategoricalReference",
    "DriftCalculator",
    "DriftConfigError",
    "DriftError",
    "DriftHistory",
    "DriftInputError",
    "DriftResult",
    "DriftThresholds",
    "DynamicThreshold",
    "FeatureDrift",
    "Metric",
    "NumericReference",
    "ReferenceProfile",
    "Severity",
    "ShardProfile",
    "StaticThreshold",
    "chi2_homogeneity",
    "js_distance",
    "kl_divergence",
    "ks_limit",
    "merge",
    "profile_shard",
    "psi",
    "shares_limit",
]
