"""Fixtures: a window's real result objects (drift, NannyML, alert report) and manifests."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

import glassbox  # noqa: F401  (telemetry off first)
from glassbox.alerts import Alert, Decision, DeliveryFailure, FlushReport, SendReport
from glassbox.drift import DriftResult, FeatureDrift
from glassbox.monitoring import (
    ChunkResult,
    MonitoringResult,
    MultivariateDrift,
    PerformanceValue,
    TargetCoverage,
)

REPO = Path(__file__).resolve().parents[2]
PROMETHEUS_DIR = REPO / "k8s" / "prometheus"
MODEL = "car-loan-default"


def _feature(name: str, **kw: object) -> FeatureDrift:
    base: dict[str, object] = {
        "name": name,
        "kind": "feature",
        "dtype": "numeric",
        "status": "ok",
        "n_reference": 1000,
        "n_current": 500,
        "missing_reference": 0,
        "missing_current": 0,
    }
    return FeatureDrift(**(base | kw))  # type: ignore[arg-type]


@pytest.fixture
def drift_result() -> DriftResult:
    return DriftResult(
        features=(
            _feature(
                "car_value",
                psi=0.31,
                js_distance=0.21,
                ks_statistic=0.25,
                p_value_adjusted=0.001,
                wasserstein_normalized=0.12,
                severity="critical",
            ),
            _feature(
                "region",
                dtype="categorical",
                psi=0.04,
                js_distance=0.03,
                chi2_statistic=3.1,
                p_value_adjusted=0.4,
                severity="none",
            ),
            _feature("income", status="no_data", n_current=0, severity="critical"),
            _feature(
                "y_pred_proba",
                kind="prediction",
                psi=0.15,
                js_distance=0.1,
                ks_statistic=0.09,
                p_value_adjusted=0.02,
                severity="warning",
            ),
        ),
        n_current_rows=500,
        reference_fingerprint="abc123",
        alpha=0.05,
    )


def _perf(value: float | None, dropped: bool, threshold: float = 0.75) -> PerformanceValue:
    return PerformanceValue(
        metric="roc_auc",
        value=value,
        sampling_error=0.01,
        lower_threshold=threshold,
        upper_threshold=None,
        alert=dropped,
        dropped=dropped,
    )


def _chunk(index: int, estimated: PerformanceValue, realized: PerformanceValue) -> ChunkResult:
    return ChunkResult(
        index=index,
        key=f"[{index * 250}:{index * 250 + 249}]",
        start=None,
        end=None,
        rows=250,
        sufficient=True,
        labelled_rows=250 if realized.value is not None else 0,
        features=(),
        multivariate=MultivariateDrift(
            reconstruction_error=1.1, lower_threshold=None, upper_threshold=1.5, alert=False
        ),
        estimated=(estimated,),
        realized=(realized,),
    )


@pytest.fixture
def monitoring_result() -> MonitoringResult:
    """Two chunks: CBPE drops below 0.75 in the second; targets only arrived for the first."""
    return MonitoringResult(
        chunking="size=250",
        features=("car_value",),
        metrics=("roc_auc",),
        targets=TargetCoverage(
            predictions=500, targets_received=250, matched=250, unmatched_targets=0
        ),
        chunks=(
            _chunk(0, _perf(0.81, False), _perf(0.79, False, threshold=0.74)),
            _chunk(1, _perf(0.70, True), _perf(None, False, threshold=math.nan)),
        ),
    )


def _decision(alert: Alert, outcome: str, channels: tuple[str, ...]) -> Decision:
    return Decision(alert, outcome, "trigger" if channels else None, channels, None)  # type: ignore[arg-type]


@pytest.fixture
def send_report() -> SendReport:
    def alert(check: str, feature: str | None, severity: str) -> Alert:
        return Alert(model=MODEL, check=check, feature=feature, severity=severity, summary="s")

    return SendReport(
        decisions=(
            _decision(alert("data_drift", "car_value", "critical"), "new", ("slack", "pagerduty")),
            _decision(alert("data_drift", "income", "critical"), "escalated", ("pagerduty",)),
            _decision(alert("prediction_drift", "y_pred_proba", "warning"), "new", ("slack",)),
            _decision(alert("data_drift", "region", "none"), "ignored", ()),
            _decision(alert("estimated_performance", None, "warning"), "suppressed", ()),
        ),
        flush=FlushReport(
            delivered=3,
            pending=2,
            failures=(
                DeliveryFailure(1, "slack", "k1", "HTTP 503", permanent=False),
                DeliveryFailure(2, "pagerduty", "k2", "HTTP 400", permanent=True),
            ),
        ),
    )


def compiled_manifests() -> list[dict[str, object]]:
    """The committed output of `glassbox compile` (k8s/workflows/*.yaml)."""
    import yaml

    docs: list[dict[str, object]] = []
    for path in sorted((REPO / "k8s" / "workflows").glob("*.yaml")):
        docs.extend(d for d in yaml.safe_load_all(path.read_text()) if isinstance(d, dict))
    assert docs, "no compiled manifests under k8s/workflows"
    return docs


def emitted_names() -> frozenset[str]:
    """Every metric name Glassbox really emits: its own catalogue (a histogram's _bucket, _sum
    and _count series), plus the names under which Argo exposes the template metrics declared
    in the compiled manifests."""
    from glassbox.observability import argo_metric_names, series_names

    return series_names() | argo_metric_names(compiled_manifests())
