"""Monitoring settings: chunking, drift methods, thresholds and evidence floors (one typed model).

Configuration example (YAML, the ``monitoring.nannyml`` section)::

    chunk_size: 5000            # or chunk_period: M   (a pandas period alias), not both
    continuous_methods: [jensen_shannon]
    categorical_methods: [jensen_shannon, chi2]
    drift_thresholds:
      jensen_shannon: {type: constant, upper: 0.1}
    multivariate_threshold: {type: std, std_lower_multiplier: 3, std_upper_multiplier: 3}
    performance_metrics: [roc_auc, accuracy]
    min_chunk_rows: 500
    min_target_coverage: 0.5

Thresholds are NannyML's two kinds: ``constant`` limits, or ``std`` limits derived from the
reference chunks (mean +/- k standard deviations). The Jensen-Shannon default is the constant
0.1 NannyML documents for the distance; the multivariate and performance defaults are NannyML's
own (3 standard deviations of the reference chunks). ``chi2`` alerts on its p-value (< 0.05)
and takes no threshold.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from glassbox.monitoring._errors import MonitoringConfigError

ContinuousMethod = Literal["jensen_shannon", "kolmogorov_smirnov", "wasserstein", "hellinger"]
CategoricalMethod = Literal["jensen_shannon", "chi2", "hellinger", "l_infinity"]
PerformanceMetric = Literal[
    "roc_auc", "accuracy", "f1", "precision", "recall", "specificity",  # classification_binary
    "mae", "mse", "rmse", "mape", "msle", "rmsle",  # regression (estimated by DLE)
]  # fmt: skip
REGRESSION_METRICS = frozenset({"mae", "mse", "rmse", "mape", "msle", "rmsle"})

DEFAULT_CHUNK_SIZE = 5000
_P_VALUE_METHODS = frozenset({"chi2"})
_THRESHOLD_METHODS = frozenset(
    {"jensen_shannon", "kolmogorov_smirnov", "wasserstein", "hellinger", "l_infinity"}
)


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ConstantThreshold(_Frozen):
    """Fixed limits; ``None`` means no limit on that side."""

    type: Literal["constant"] = "constant"
    lower: float | None = None
    upper: float | None = None

    @model_validator(mode="after")
    def _ordered(self) -> ConstantThreshold:
        if self.lower is not None and self.upper is not None and self.lower > self.upper:
            raise ValueError(f"lower ({self.lower}) must not exceed upper ({self.upper})")
        return self


class StdThreshold(_Frozen):
    """Limits at mean -/+ k standard deviations of the statistic over the reference chunks."""

    type: Literal["std"] = "std"
    std_lower_multiplier: float | None = Field(3.0, ge=0)
    std_upper_multiplier: float | None = Field(3.0, ge=0)


Threshold = Annotated[ConstantThreshold | StdThreshold, Field(discriminator="type")]


def _default_drift_thresholds() -> dict[str, ConstantThreshold | StdThreshold]:
    return {"jensen_shannon": ConstantThreshold(upper=0.1)}


class MonitorSettings(_Frozen):
    """How a production window is chunked and judged against the reference."""

    chunk_size: int | None = Field(None, ge=1)
    chunk_period: str | None = Field(None, min_length=1)
    continuous_methods: tuple[ContinuousMethod, ...] = Field(("jensen_shannon",), min_length=1)
    categorical_methods: tuple[CategoricalMethod, ...] = Field(
        ("jensen_shannon", "chi2"), min_length=1
    )
    drift_thresholds: dict[str, Threshold] = Field(default_factory=_default_drift_thresholds)
    multivariate_threshold: Threshold = StdThreshold()
    performance_metrics: tuple[PerformanceMetric, ...] = Field(
        ("roc_auc", "accuracy"), min_length=1
    )
    performance_threshold: Threshold = StdThreshold()
    # Chunks with fewer rows are reported but raise no alert (too little evidence).
    min_chunk_rows: int = Field(500, ge=1)
    # Realized performance of a chunk needs this share of its predictions labelled, and at least
    # ``min_chunk_rows`` labelled rows; otherwise it is reported as not yet known (None).
    min_target_coverage: float = Field(0.5, gt=0, le=1)
    y_pred_proba: str = Field("y_pred_proba", min_length=1)
    y_pred: str = Field("y_pred", min_length=1)
    # classification_binary: CBPE from y_pred_proba; regression: DLE from the features and a
    # numeric y_pred (no probability), with regression metrics.
    problem_type: Literal["classification_binary", "regression"] = "classification_binary"

    @property
    def regression(self) -> bool:
        return self.problem_type == "regression"

    @model_validator(mode="after")
    def _consistent(self) -> MonitorSettings:
        if self.chunk_size is not None and self.chunk_period is not None:
            raise ValueError("set chunk_size or chunk_period, not both")
        for method in self.drift_thresholds:
            if method in _P_VALUE_METHODS:
                raise ValueError(f"{method} alerts on its p-value (< 0.05) and takes no threshold")
            if method not in _THRESHOLD_METHODS:
                raise ValueError(
                    f"unknown drift method {method!r}, expected one of {sorted(_THRESHOLD_METHODS)}"
                )
        if self.chunk_period is not None:
            _check_period(self.chunk_period)
        wrong = [
            m for m in self.performance_metrics if (m in REGRESSION_METRICS) != self.regression
        ]
        if wrong:
            raise ValueError(f"performance_metrics {wrong} do not apply to {self.problem_type}")
        return self

    @property
    def chunking(self) -> str:
        """``size=5000`` or ``period=M``: how windows are cut into chunks."""
        if self.chunk_period is not None:
            return f"period={self.chunk_period}"
        return f"size={self.chunk_size or DEFAULT_CHUNK_SIZE}"

    def chunker_kwargs(self) -> dict[str, Any]:
        """Keyword arguments every NannyML calculator takes to chunk the same way."""
        if self.chunk_period is not None:
            return {"chunk_period": self.chunk_period}
        return {"chunk_size": self.chunk_size or DEFAULT_CHUNK_SIZE}

    @classmethod
    def parse(cls, value: MonitorSettings | Mapping[str, Any] | None) -> MonitorSettings:
        """Validate a config mapping; errors become one-line ``MonitoringConfigError``s."""
        if value is None:
            return cls()
        if isinstance(value, MonitorSettings):
            return value
        if not isinstance(value, Mapping):
            raise MonitoringConfigError(
                f"monitoring settings must be a mapping, got {type(value).__name__}"
            )
        try:
            return cls.model_validate(dict(value))
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(part) for part in first["loc"]) or "settings"
            raise MonitoringConfigError(f"monitoring.{where}: {first['msg']}") from None


def _check_period(alias: str) -> None:
    """A chunk period must be a pandas period alias (``D``, ``W``, ``M``, ``Q``...)."""
    import pandas as pd

    try:
        pd.Timestamp("2020-01-01").to_period(alias)
    except (ValueError, TypeError, AttributeError) as exc:
        raise ValueError(f"chunk_period {alias!r} is not a pandas period alias ({exc})") from None


def to_nannyml_threshold(threshold: ConstantThreshold | StdThreshold) -> Any:
    """The NannyML threshold object for one of ours (imports NannyML)."""
    from nannyml.thresholds import ConstantThreshold as NmlConstant
    from nannyml.thresholds import StandardDeviationThreshold

    if isinstance(threshold, ConstantThreshold):
        return NmlConstant(lower=threshold.lower, upper=threshold.upper)
    return StandardDeviationThreshold(
        std_lower_multiplier=threshold.std_lower_multiplier,
        std_upper_multiplier=threshold.std_upper_multiplier,
    )
