"""Statistics of one column: a reference column against a summary of the current window.

The current summary is the same shape whether it was computed from a data frame (exact sorted
values) or from merged shard profiles (exact sorted values, or a sketch's weighted items), so
both paths share this code and give identical binned statistics for identical counts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal, TypedDict

import numpy as np

from glassbox.drift._columns import CategoryCounts
from glassbox.drift._ecdf import ks_wasserstein
from glassbox.drift._profile import CategoricalReference, NumericReference, bin_counts
from glassbox.drift._result import FeatureDrift
from glassbox.drift._stats import (
    FloatArray,
    IntArray,
    chi2_homogeneity,
    js_distance,
    kl_divergence,
    ks_pvalue,
    psi,
)


@dataclass(frozen=True)
class NumericCurrent:
    """A numeric column of the current window, summarised over the reference bins."""

    n: int
    missing: int
    counts: IntArray
    mean: float
    ecdf_values: FloatArray  # sorted; the items of a sketch when ``ecdf_weights`` is set
    ecdf_weights: FloatArray | None = None
    joined: FloatArray | None = None  # reference sorted values followed by ``ecdf_values``

    @classmethod
    def from_joined(
        cls, reference: NumericReference, joined: FloatArray, missing: int
    ) -> NumericCurrent:
        """From ``joined_sorted(reference.sorted_values, column)``'s buffer."""
        finite = joined[reference.n :]
        return cls(
            n=int(finite.size),
            missing=missing,
            counts=bin_counts(finite, reference.edges),
            mean=float(finite.mean()) if finite.size else math.nan,
            ecdf_values=finite,
            joined=joined,
        )


def compare_numeric(reference: NumericReference, current: NumericCurrent) -> FeatureDrift:
    common = _common(reference, current.n, current.missing)
    if current.n == 0:
        return FeatureDrift(status="no_data", reference_mean=reference.mean, **common)
    ks, wasserstein = ks_wasserstein(
        reference.sorted_values, current.ecdf_values, current.ecdf_weights, joined=current.joined
    )
    if reference.std > 0:
        normalized = wasserstein / reference.std
    else:  # constant reference: any movement is an unbounded effect
        normalized = 0.0 if wasserstein == 0 else math.inf
    return FeatureDrift(
        status="ok",
        psi=psi(reference.counts, current.counts),
        js_distance=js_distance(reference.counts, current.counts),
        kl_divergence=kl_divergence(reference.counts, current.counts),
        ks_statistic=ks,
        ks_pvalue=ks_pvalue(ks, reference.n, current.n),
        wasserstein=wasserstein,
        wasserstein_normalized=normalized,
        reference_mean=reference.mean,
        current_mean=current.mean,
        approximate=current.ecdf_weights is not None,
        **common,
    )


def compare_categorical(reference: CategoricalReference, current: CategoryCounts) -> FeatureDrift:
    """Bins are the reference categories, plus one "unseen" bin when the window has new values."""
    common = _common(reference, current.n, current.missing)
    if current.n == 0:
        return FeatureDrift(status="no_data", **common)
    reference_counts: IntArray = np.asarray(reference.counts, dtype=np.int64)
    current_counts = current.counts
    if current.unseen:
        reference_counts = np.append(reference_counts, 0)
        current_counts = np.append(current_counts, current.unseen)
    statistic, pvalue, dof = chi2_homogeneity(reference_counts, current_counts)
    return FeatureDrift(
        status="ok",
        unseen_current=current.unseen,
        psi=psi(reference_counts, current_counts),
        js_distance=js_distance(reference_counts, current_counts),
        kl_divergence=kl_divergence(reference_counts, current_counts),
        chi2_statistic=statistic,
        chi2_pvalue=pvalue,
        chi2_dof=dof,
        **common,
    )


class _Common(TypedDict):
    name: str
    kind: Literal["feature", "prediction"]
    dtype: Literal["numeric", "categorical"]
    n_reference: int
    n_current: int
    missing_reference: int
    missing_current: int


def _common(reference: NumericReference | CategoricalReference, n: int, missing: int) -> _Common:
    return {
        "name": reference.name,
        "kind": reference.kind,
        "dtype": reference.dtype,
        "n_reference": reference.n,
        "n_current": n,
        "missing_reference": reference.missing,
        "missing_current": missing,
    }
