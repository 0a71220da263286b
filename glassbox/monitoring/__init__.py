"""Monitoring adapters: NannyML per-chunk drift and performance, Evidently reports, concept drift.

The monitoring cron checks a production prediction window (id, timestamp, features,
y_pred_proba, y_pred ...) against the model's reference (its training history scored by the
model itself, with targets)::

    monitor = NannyMonitor(DataSettings(), MonitorSettings(chunk_size=5000)).fit(reference)
    result = monitor.calculate(window, targets)      # targets: (id, repaid) arrived so far
    result.drift_chunks("car_value"), result.estimated_drop_chunks("roc_auc")
    classify_window(result).kind                     # "covariate_shift", "concept_drift", ...
    evidently_report(reference, window, numeric, categorical, out_dir).html_path

Results are frozen pydantic models (``model_dump_json()``); no NannyML or Evidently object leaves
this package. NannyML and Evidently are imported only when a function needs them.
"""

from glassbox.monitoring._calibrate import (
    MetricNoise,
    PerformanceBaseline,
    calibrate,
    performance_baseline,
)
from glassbox.monitoring._concept import (
    ChunkVerdict,
    DriftVerdict,
    Kind,
    WindowVerdict,
    classify,
    classify_chunk,
    classify_window,
)
from glassbox.monitoring._config import (
    ExplanationSettings,
    LabelSettings,
    MonitoringSettings,
    PerformanceRule,
    PerformanceSettings,
)
from glassbox.monitoring._drift import (
    DriftCheck,
    PartitionDrift,
    check_drift,
    graded_result,
    monthly_shards,
)
from glassbox.monitoring._errors import MonitoringConfigError, MonitoringError, MonitoringInputError
from glassbox.monitoring._evidently import (
    EvidentlyColumnDrift,
    EvidentlyReport,
    EvidentlySummary,
    evidently_report,
    parse_evidently_json,
)
from glassbox.monitoring._explanation import ExplanationCheck, attributions, check_explanation, ndcg
from glassbox.monitoring._findings import (
    Finding,
    Findings,
    drift_to_findings,
    quality_to_findings,
    to_alerts,
    worst,
)
from glassbox.monitoring._labels import LabelsCheck, check_labels, target_drift
from glassbox.monitoring._nannyml import NannyMonitor
from glassbox.monitoring._performance import (
    REFERENCE_CHUNKS,
    PerformanceCheck,
    PerformanceMonitor,
    check_performance,
    fit_performance,
    fitted_chunk_size,
    performance_findings,
)
from glassbox.monitoring._quality import check_quality, check_window_quality
from glassbox.monitoring._results import (
    ChunkResult,
    FeatureDrift,
    MethodDrift,
    MonitoringResult,
    MultivariateDrift,
    PerformanceValue,
    TargetCoverage,
)
from glassbox.monitoring._settings import (
    DEFAULT_CHUNK_SIZE,
    ConstantThreshold,
    MonitorSettings,
    StdThreshold,
)

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "REFERENCE_CHUNKS",
    "ChunkResult",
    "ChunkVerdict",
    "ConstantThreshold",
    "DriftCheck",
    "DriftVerdict",
    "EvidentlyColumnDrift",
    "EvidentlyReport",
    "EvidentlySummary",
    "ExplanationCheck",
    "ExplanationSettings",
    "FeatureDrift",
    "Finding",
    "Findings",
    "Kind",
    "LabelSettings",
    "LabelsCheck",
    "MethodDrift",
    "MetricNoise",
    "MonitorSettings",
    "MonitoringConfigError",
    "MonitoringError",
    "MonitoringInputError",
    "MonitoringResult",
    "MonitoringSettings",
    "MultivariateDrift",
    "NannyMonitor",
    "PartitionDrift",
    "PerformanceBaseline",
    "PerformanceCheck",
    "PerformanceMonitor",
    "PerformanceRule",
    "PerformanceSettings",
    "PerformanceValue",
    "StdThreshold",
    "TargetCoverage",
    "WindowVerdict",
    "attributions",
    "calibrate",
    "check_drift",
    "check_explanation",
    "check_labels",
    "check_performance",
    "check_quality",
    "check_window_quality",
    "classify",
    "classify_chunk",
    "classify_window",
    "drift_to_findings",
    "evidently_report",
    "fit_performance",
    "fitted_chunk_size",
    "graded_result",
    "monthly_shards",
    "ndcg",
    "parse_evidently_json",
    "performance_baseline",
    "performance_findings",
    "quality_to_findings",
    "target_drift",
    "to_alerts",
    "worst",
]
