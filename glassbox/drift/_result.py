"""Typed results: one ``FeatureDrift`` per column, a ``DriftResult`` per window."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import asdict, dataclass, fields
from typing import TYPE_CHECKING, Any, Literal

from glassbox.drift._thresholds import SEVERITY_RANK, Severity

if TYPE_CHECKING:
    import pandas as pd

NAN = math.nan
Status = Literal["ok", "no_data"]


@dataclass(frozen=True)
class FeatureDrift:
    """Drift statistics of one column. Statistics that do not apply to its dtype are NaN.

    ``status="no_data"``: the current window has no non-missing value in this column; every
    statistic is NaN and the severity is critical (a column that stopped arriving).
    ``approximate``: the KS statistic, its p-value and the Wasserstein distance come from a
    quantile sketch (merged shard profiles), within the sketch's rank error.
    """

    name: str
    kind: Literal["feature", "prediction"]
    dtype: Literal["numeric", "categorical"]
    status: Status
    n_reference: int
    n_current: int
    missing_reference: int
    missing_current: int
    unseen_current: int = 0
    psi: float = NAN
    js_distance: float = NAN
    kl_divergence: float = NAN
    ks_statistic: float = NAN
    ks_pvalue: float = NAN
    chi2_statistic: float = NAN
    chi2_pvalue: float = NAN
    chi2_dof: int = 0
    wasserstein: float = NAN
    wasserstein_normalized: float = NAN
    reference_mean: float = NAN
    current_mean: float = NAN
    approximate: bool = False
    p_value_adjusted: float = NAN
    significant: bool = False
    severity: Severity = "none"
    reasons: tuple[str, ...] = ()

    @property
    def p_value(self) -> float:
        """The test's raw p-value: KS for numeric columns, chi-squared for categorical ones."""
        return self.ks_pvalue if self.dtype == "numeric" else self.chi2_pvalue

    def statistic(self, metric: str) -> float:
        return float(getattr(self, metric))

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["reasons"] = list(self.reasons)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FeatureDrift:
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        values["reasons"] = tuple(values.get("reasons", ()))
        for key, value in values.items():
            if value is None:  # NaN written as null by strict JSON writers
                values[key] = NAN
        return cls(**values)


@dataclass(frozen=True)
class DriftResult:
    """The drift of one current window against the reference profile."""

    features: tuple[FeatureDrift, ...]
    n_current_rows: int
    reference_fingerprint: str
    alpha: float

    def __iter__(self) -> Iterator[FeatureDrift]:
        return iter(self.features)

    def __len__(self) -> int:
        return len(self.features)

    def __getitem__(self, name: str) -> FeatureDrift:
        for feature in self.features:
            if feature.name == name:
                return feature
        raise KeyError(name)

    @property
    def severity(self) -> Severity:
        """The highest severity over all columns."""
        return max((f.severity for f in self.features), key=SEVERITY_RANK.__getitem__)

    def flagged(self, at_least: Severity = "warning") -> tuple[FeatureDrift, ...]:
        """Columns whose severity is ``at_least`` or higher."""
        floor = SEVERITY_RANK[at_least]
        return tuple(f for f in self.features if SEVERITY_RANK[f.severity] >= max(floor, 1))

    def metrics(self, prefix: str = "drift") -> dict[str, float]:
        """Flat finite numbers for MLflow: ``<prefix>.<column>.<statistic>`` and severities."""
        out: dict[str, float] = {}
        for f in self.features:
            for key in ("psi", "js_distance", "kl_divergence", "ks_statistic", "p_value_adjusted",
                        "chi2_statistic", "wasserstein_normalized"):  # fmt: skip
                value = f.statistic(key)
                if math.isfinite(value):
                    out[f"{prefix}.{f.name}.{key}"] = value
            out[f"{prefix}.{f.name}.severity"] = float(SEVERITY_RANK[f.severity])
        out[f"{prefix}.n_flagged"] = float(len(self.flagged()))
        return out

    def to_frame(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame([f.to_dict() for f in self.features]).set_index("name")

    def to_dict(self) -> dict[str, Any]:
        return {
            "n_current_rows": self.n_current_rows,
            "reference_fingerprint": self.reference_fingerprint,
            "alpha": self.alpha,
            "features": [f.to_dict() for f in self.features],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DriftResult:
        return cls(
            features=tuple(FeatureDrift.from_dict(f) for f in data["features"]),
            n_current_rows=int(data["n_current_rows"]),
            reference_fingerprint=str(data["reference_fingerprint"]),
            alpha=float(data["alpha"]),
        )
