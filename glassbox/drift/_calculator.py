"""``DriftCalculator``: fit a reference profile once, calculate drift for any number of windows.

Shaped like NannyML's calculators: public ``fit``/``calculate`` validate the input and wrap the
private ``_fit``/``_calculate``; anything unexpected becomes a ``DriftError`` with a clear
message. Unlike NannyML's univariate calculator it is stateless between ``calculate`` calls: the
only state is the immutable profile set by ``fit`` (or ``from_profile``); history for dynamic
thresholds is an argument.

Columns are processed in a thread pool (numpy's sort, argsort and searchsorted release the GIL),
one column per task, so temporaries stay bounded by ``threads`` columns at a time.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Self, TypeVar

from glassbox.drift import _columns
from glassbox.drift._calibration import Calibration
from glassbox.drift._compare import (
    NumericCurrent,
    compare_categorical,
    compare_numeric,
)
from glassbox.drift._errors import DriftConfigError, DriftError
from glassbox.drift._history import DriftHistory
from glassbox.drift._profile import (
    CategoricalReference,
    ColumnReference,
    Kind,
    ReferenceProfile,
    numeric_reference,
    readonly,
)
from glassbox.drift._result import DriftResult, FeatureDrift
from glassbox.drift._severity import assess
from glassbox.drift._thresholds import DriftThresholds

if TYPE_CHECKING:
    import pandas as pd

    from glassbox.drift._shard import ShardProfile

T = TypeVar("T")
R = TypeVar("R")


def _names(value: Sequence[str], field: str) -> tuple[str, ...]:
    if isinstance(value, str) or not all(isinstance(v, str) for v in value):
        raise DriftConfigError(f"{field} must be a sequence of column names (str)")
    names = tuple(value)
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise DriftConfigError(f"{field} lists {duplicated} more than once")
    return names


def _usable_cores() -> int:
    affinity = getattr(os, "sched_getaffinity", None)  # Linux: honours the pod's CPU set
    return len(affinity(0)) if affinity else (os.cpu_count() or 1)


class DriftCalculator:
    """Univariate drift of features and predictions against a fitted reference profile."""

    def __init__(
        self,
        features: Sequence[str],
        categorical: Sequence[str] = (),
        prediction_columns: Sequence[str] = (),
        thresholds: DriftThresholds | Mapping[str, Any] | None = None,
        *,
        n_bins: int = 10,
        threads: int | None = None,
        calibration: Calibration | Mapping[str, Any] | None = None,
    ) -> None:
        self.features = _names(features, "features")
        self.prediction_columns = _names(prediction_columns, "prediction_columns")
        self.categorical = frozenset(_names(categorical, "categorical"))
        columns = self.features + self.prediction_columns
        if not columns:
            raise DriftConfigError("features: at least one feature or prediction column is needed")
        if both := sorted(set(self.features) & set(self.prediction_columns)):
            raise DriftConfigError(f"columns {both} are listed as features and as predictions")
        if unknown := sorted(self.categorical - set(columns)):
            raise DriftConfigError(f"categorical columns {unknown} are not features or predictions")
        if not isinstance(n_bins, int) or n_bins < 2:
            raise DriftConfigError(f"n_bins must be an integer >= 2, got {n_bins!r}")
        if threads is not None and (not isinstance(threads, int) or threads < 1):
            raise DriftConfigError(f"threads must be a positive integer, got {threads!r}")
        self.thresholds = DriftThresholds.parse(thresholds)
        self.calibration = Calibration.model_validate(calibration or {})
        self.n_bins = n_bins
        self.threads = threads or _usable_cores()
        self._profile: ReferenceProfile | None = None

    @classmethod
    def from_profile(
        cls,
        profile: ReferenceProfile,
        thresholds: DriftThresholds | Mapping[str, Any] | None = None,
        *,
        threads: int | None = None,
    ) -> DriftCalculator:
        """A fitted calculator from a saved profile (the nightly job never sees training data)."""
        calculator = cls(
            features=[c.name for c in profile.columns if c.kind == "feature"],
            prediction_columns=[c.name for c in profile.columns if c.kind == "prediction"],
            categorical=[c.name for c in profile.columns if c.dtype == "categorical"],
            thresholds=thresholds,
            n_bins=profile.n_bins,
            threads=threads,
            calibration=profile.calibration,
        )
        calculator._profile = profile
        return calculator

    @property
    def profile(self) -> ReferenceProfile:
        if self._profile is None:
            raise DriftError("the drift calculator is not fitted: call fit(reference) first")
        return self._profile

    def _columns(self) -> list[tuple[str, Kind]]:
        return [(name, "feature") for name in self.features] + [
            (name, "prediction") for name in self.prediction_columns
        ]

    def _map(self, function: Callable[[T], R], items: Iterable[T]) -> list[R]:
        work = list(items)
        if self.threads == 1 or len(work) < 2:
            return [function(item) for item in work]
        with ThreadPoolExecutor(max_workers=min(self.threads, len(work))) as pool:
            return list(pool.map(function, work))

    # -- fit -----------------------------------------------------------------------------------

    def fit(self, reference: pd.DataFrame) -> Self:
        """Profile the reference data; returns the calculator (``.profile`` holds the result)."""
        frame = _columns.require_frame(reference, "reference")
        for name, _ in self._columns():
            _columns.column(frame, name, "reference")
        try:
            self._profile = self._fit(frame)
        except DriftError:
            raise
        except Exception as exc:
            raise DriftError(f"fitting the drift reference failed: {exc!r}") from exc
        return self

    def _fit(self, frame: pd.DataFrame) -> ReferenceProfile:
        def profile_column(spec: tuple[str, Kind]) -> ColumnReference:
            name, kind = spec
            if name in self.categorical:
                categories, counts = _columns.reference_categories(frame, name)
                missing = int(frame[name].isna().sum())
                return CategoricalReference(
                    name=name, kind=kind, n=int(counts.sum()), missing=missing,
                    categories=categories, counts=readonly(counts),
                )  # fmt: skip
            values = _columns.numeric_values(frame, name, "reference")
            finite, missing = _columns.sorted_finite(values, name, "reference")
            return numeric_reference(name, kind, finite, missing, self.n_bins)

        columns = tuple(self._map(profile_column, self._columns()))
        return ReferenceProfile(
            columns, n_rows=len(frame), n_bins=self.n_bins, calibration=self.calibration
        )

    # -- calculate -----------------------------------------------------------------------------

    def calculate(
        self,
        current: pd.DataFrame,
        history: DriftHistory | Mapping[str, Any] | None = None,
        *,
        looks: int = 1,
    ) -> DriftResult:
        """Drift of one window of current data against the fitted reference (``looks``: how
        many times the caller judges this window, see ``assess``)."""
        profile = self.profile
        frame = _columns.require_frame(current, "current")
        for name in profile.names:
            _columns.column(frame, name, "current")
        try:
            features = self._calculate(frame, profile)
            return self._result(features, len(frame), history, looks)
        except DriftError:
            raise
        except Exception as exc:
            raise DriftError(f"drift calculation failed: {exc!r}") from exc

    def _calculate(self, frame: pd.DataFrame, profile: ReferenceProfile) -> list[FeatureDrift]:
        def compare(reference: ColumnReference) -> FeatureDrift:
            if isinstance(reference, CategoricalReference):
                counts = _columns.count_categories(
                    frame, reference.name, reference.categories, "current"
                )
                return compare_categorical(reference, counts)
            values = _columns.numeric_values(frame, reference.name, "current")
            joined, missing = _columns.joined_sorted(
                reference.sorted_values, values, reference.name, "current"
            )
            return compare_numeric(
                reference, NumericCurrent.from_joined(reference, joined, missing)
            )

        return self._map(compare, profile.columns)

    def calculate_from_profile(
        self,
        merged: ShardProfile,
        history: DriftHistory | Mapping[str, Any] | None = None,
        *,
        looks: int = 1,
    ) -> DriftResult:
        """Drift of a window summarised by (merged) shard profiles built against this profile."""
        from glassbox.drift._shard import ShardProfile

        profile = self.profile
        if not isinstance(merged, ShardProfile):
            raise DriftError(f"expected a ShardProfile, got {type(merged).__name__}")
        if merged.reference_fingerprint != profile.fingerprint:
            raise DriftError(
                "shard profile was built against a different reference profile "
                f"(fingerprint {merged.reference_fingerprint[:12]}, "
                f"expected {profile.fingerprint[:12]})"
            )
        if merged.n_rows == 0:
            raise DriftError("shard profile covers 0 rows: nothing to compare")
        try:
            features = self._map(merged.compare, profile.columns)
            return self._result(features, merged.n_rows, history, looks)
        except DriftError:
            raise
        except Exception as exc:
            raise DriftError(f"drift calculation from shard profiles failed: {exc!r}") from exc

    def _result(
        self,
        features: Sequence[FeatureDrift],
        n_rows: int,
        history: DriftHistory | Mapping[str, Any] | None,
        looks: int,
    ) -> DriftResult:
        if history is not None and not isinstance(history, DriftHistory):
            history = DriftHistory.from_dict(history)  # e.g. the JSON kept by the nightly job
        return DriftResult(
            features=assess(features, self.thresholds, history, profile=self.profile, looks=looks),
            n_current_rows=n_rows,
            reference_fingerprint=self.profile.fingerprint,
            alpha=self.thresholds.alpha,
        )
