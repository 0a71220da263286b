"""NannyML adapter: univariate + multivariate drift, CBPE and realized performance per chunk.

``NannyMonitor(data, settings).fit(reference)`` fits four NannyML calculators on the model's
training history (with the model's own ``y_pred_proba``/``y_pred`` and the targets);
``calculate(predictions, targets)`` monitors one production window and returns a
:class:`MonitoringResult`. All four calculators chunk the same way, so their rows line up chunk
by chunk. NannyML (~9 s to import) is imported by ``fit``, never at module import.

``calculate`` leaves the monitor as ``fit`` left it (NannyML's calculators keep each analysis
result and a copy of the data; they are reset to the reference result after every call), so one
fitted monitor serves many windows and repeated calls give identical results.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from glassbox.monitoring._convert import RawResults, assemble
from glassbox.monitoring._errors import MonitoringError, MonitoringInputError
from glassbox.monitoring._frames import prepare_reference, prepare_window
from glassbox.monitoring._results import MonitoringResult
from glassbox.monitoring._settings import MonitorSettings, to_nannyml_threshold

if TYPE_CHECKING:
    import pandas as pd

    from glassbox.config import DataSettings

_MIN_REFERENCE_CHUNKS = 2


@dataclass
class _Calculators:
    univariate: Any
    multivariate: Any
    cbpe: Any
    realized: Any

    def all(self) -> tuple[Any, ...]:
        return (self.univariate, self.multivariate, self.cbpe, self.realized)


class NannyMonitor:
    """Fit once on the reference, then ``calculate`` any number of production windows."""

    def __init__(
        self,
        data: DataSettings | None = None,
        settings: MonitorSettings | Mapping[str, Any] | None = None,
    ) -> None:
        if data is None:
            from glassbox.config import DataSettings

            data = DataSettings()
        self.data = data
        self.settings = MonitorSettings.parse(settings)
        self._calculators: _Calculators | None = None
        self._reference_results: tuple[Any, ...] = ()

    @property
    def is_fitted(self) -> bool:
        return self._calculators is not None

    def fit(self, reference: pd.DataFrame) -> NannyMonitor:
        """Fit on the training history: features, timestamp, target and the model's outputs."""
        frame = prepare_reference(reference, self.data, self.settings)
        self._check_reference_chunks(frame)
        calculators = self._build()
        inputs = frame.loc[:, self._inputs]
        with _nannyml_errors("fit"):
            calculators.univariate.fit(inputs)
            calculators.multivariate.fit(inputs)
            calculators.cbpe.fit(frame)
            calculators.realized.fit(frame)
        self._calculators = calculators
        self._reference_results = tuple(c.result for c in calculators.all())
        return self

    def calculate(
        self, predictions: pd.DataFrame, targets: pd.DataFrame | None = None
    ) -> MonitoringResult:
        """Monitor a prediction window; ``targets`` (id, target) are the labels arrived so far.

        Without ``targets`` the predictions' own target column is used when present; otherwise
        realized performance is unknown (None) for every chunk."""
        if self._calculators is None:
            raise MonitoringError("calculate: the monitor is not fitted; call fit(reference) first")
        frame, coverage = prepare_window(predictions, targets, self.data, self.settings)
        calc = self._calculators
        inputs = frame.loc[:, self._inputs]
        unlabelled = frame.drop(columns=[self.data.target_column])
        with _nannyml_errors("calculate"), self._restored(calc), _quiet_window_warnings():
            raw = RawResults(
                univariate=_analysis(calc.univariate.calculate(inputs)),
                multivariate=_analysis(calc.multivariate.calculate(inputs)),
                estimated=_analysis(calc.cbpe.estimate(unlabelled)),
                realized=_analysis(calc.realized.calculate(frame)),
            )
        return assemble(raw, self.data, self.settings, coverage)

    def reference_estimates(self) -> dict[str, float]:
        """CBPE's own estimate of each metric on the reference (mean over its chunks): the
        value its estimates on healthy windows centre on."""
        if self._calculators is None:
            raise MonitoringError("the monitor is not fitted; call fit(reference) first")
        frame = self._reference_results[2].filter(period="reference").to_df()
        out: dict[str, float] = {}
        for metric in self.settings.performance_metrics:
            values = frame[(metric, "value")].dropna()
            if len(values):
                out[metric] = float(values.mean())
        return out

    @contextmanager
    def _restored(self, calculators: _Calculators) -> Iterator[None]:
        """Put back the reference-only results NannyML's calculators held after ``fit``."""
        try:
            yield
        finally:
            for calculator, result in zip(calculators.all(), self._reference_results, strict=True):
                calculator.result = result

    @property
    def _inputs(self) -> list[str]:
        ts = self.data.timestamp_column
        return [*([ts] if ts else []), *self.data.features]

    def _check_reference_chunks(self, frame: pd.DataFrame) -> None:
        """Reference-derived thresholds need at least two reference chunks."""
        settings = self.settings
        if settings.chunk_period is not None:
            if not self.data.timestamp_column:
                raise MonitoringInputError(
                    f"chunk_period {settings.chunk_period!r} needs a timestamp column; the data "
                    "has none (data.timestamp_column is null): set chunk_size instead"
                )
            ts = frame[self.data.timestamp_column]
            chunks = int(ts.dt.to_period(settings.chunk_period).nunique())
        else:
            chunks = len(frame) // settings.chunker_kwargs()["chunk_size"]
        if chunks < _MIN_REFERENCE_CHUNKS:
            raise MonitoringInputError(
                f"reference: {len(frame)} rows make {chunks} full chunk(s) with "
                f"{settings.chunking}; need at least {_MIN_REFERENCE_CHUNKS} to derive thresholds"
            )

    def _build(self) -> _Calculators:
        import nannyml as nml

        data, s = self.data, self.settings
        common: dict[str, Any] = {
            "timestamp_column_name": data.timestamp_column,
            **s.chunker_kwargs(),
        }
        performance = {
            "y_pred": s.y_pred,
            "y_true": data.target_column,
            "problem_type": s.problem_type,
            "metrics": list(s.performance_metrics),
            "thresholds": {
                m: to_nannyml_threshold(s.performance_threshold) for m in s.performance_metrics
            },
            **common,
        }
        if s.regression:  # DLE: a model of the error, learned on the reference's features
            dle = {k: v for k, v in performance.items() if k != "problem_type"}
            estimator = nml.DLE(
                feature_column_names=list(data.features), tune_hyperparameters=False, **dle
            )
        else:
            performance["y_pred_proba"] = s.y_pred_proba
            estimator = nml.CBPE(**performance)
        return _Calculators(
            univariate=nml.UnivariateDriftCalculator(
                column_names=list(data.features),
                treat_as_numerical=list(data.numeric_features) or None,
                treat_as_categorical=list(data.categorical_features) or None,
                continuous_methods=list(s.continuous_methods),
                categorical_methods=list(s.categorical_methods),
                thresholds={m: to_nannyml_threshold(t) for m, t in s.drift_thresholds.items()},
                **common,
            ),
            multivariate=nml.DataReconstructionDriftCalculator(
                column_names=list(data.features),
                threshold=to_nannyml_threshold(s.multivariate_threshold),
                **common,
            ),
            cbpe=estimator,
            realized=nml.PerformanceCalculator(**performance),
        )


@contextmanager
def _quiet_window_warnings() -> Iterator[None]:
    """Silence NannyML warnings the result already reports: chunks without targets (see
    ``labelled_rows``) and windows of fewer than six chunks (normal for a cron window)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Too many missing values", category=UserWarning)
        warnings.filterwarnings(
            "ignore", message="The resulting number of chunks is too low", category=UserWarning
        )
        yield


def _analysis(result: Any) -> pd.DataFrame:
    return result.filter(period="analysis").to_df()


@contextmanager
def _nannyml_errors(step: str) -> Iterator[None]:
    """NannyML's own exceptions become ``MonitoringError`` naming the step."""
    from nannyml.exceptions import NannyMLException

    try:
        yield
    except NannyMLException as exc:
        message = " ".join(str(exc).split())
        raise MonitoringError(f"nannyml {step}: {type(exc).__name__}: {message}") from exc
