"""Concept drift vs covariate shift: unit table, synthetic chunks and the real car-loan window."""

from __future__ import annotations

import numpy as np
import pytest

from glassbox.monitoring import (
    ChunkResult,
    FeatureDrift,
    MethodDrift,
    MonitoringResult,
    MultivariateDrift,
    NannyMonitor,
    PerformanceValue,
    TargetCoverage,
    classify,
    classify_chunk,
    classify_window,
)

from ._carloan import CarLoan


@pytest.mark.parametrize(
    ("inputs", "estimate", "realized", "kind", "confirmed"),
    [
        (False, False, True, "concept_drift", True),
        (True, False, True, "concept_drift", True),
        (False, True, True, "concept_drift", True),
        (True, True, True, "covariate_shift", True),
        (True, True, None, "covariate_shift", False),
        (True, True, False, "estimate_not_confirmed", True),
        (False, True, False, "estimate_not_confirmed", True),
        (False, True, None, "estimated_drop", False),
        (True, False, False, "input_drift", True),
        (True, False, None, "input_drift", False),
        (False, False, False, "no_drift", True),
        (False, False, None, "no_drift", False),
    ],
)
def test_every_signal_combination_has_one_kind(
    inputs: bool, estimate: bool, realized: bool | None, kind: str, confirmed: bool
) -> None:
    verdict = classify(input_drift=inputs, estimated_drop=estimate, realized_drop=realized)
    assert verdict.kind == kind
    assert verdict.confirmed is confirmed
    assert verdict.reason
    assert "\n" not in verdict.reason


def test_concept_drift_reason_names_what_did_not_move() -> None:
    both = classify(input_drift=False, estimated_drop=False, realized_drop=True)
    assert both.reason == (
        "realized performance fell while inputs did not drift and CBPE's estimate did not fall: "
        "concept drift"
    )
    estimate_only = classify(input_drift=True, estimated_drop=False, realized_drop=True)
    assert estimate_only.reason == (
        "realized performance fell while CBPE's estimate did not fall: concept drift"
    )
    pending = classify(input_drift=True, estimated_drop=True, realized_drop=None)
    assert pending.reason.endswith("(realized performance not known yet)")


def _perf(metric: str, value: float | None, lower: float = 0.95) -> PerformanceValue:
    dropped = value is not None and value < lower
    return PerformanceValue(
        metric=metric,
        value=value,
        sampling_error=None if value is None else 0.002,
        lower_threshold=lower,
        upper_threshold=0.99,
        alert=dropped,
        dropped=dropped,
    )


def _chunk(index: int, *, drifted: bool, estimated: float, realized: float | None) -> ChunkResult:
    method = MethodDrift(
        method="jensen_shannon",
        value=0.3 if drifted else 0.02,
        lower_threshold=None,
        upper_threshold=0.1,
        alert=drifted,
    )
    return ChunkResult(
        index=index,
        key=f"[{index * 100}:{index * 100 + 99}]",
        start=None,
        end=None,
        rows=100,
        sufficient=True,
        labelled_rows=0 if realized is None else 100,
        features=(FeatureDrift(feature="car_value", alert=drifted, methods=(method,)),),
        multivariate=MultivariateDrift(
            reconstruction_error=1.1, lower_threshold=1.0, upper_threshold=1.2, alert=False
        ),
        estimated=(_perf("roc_auc", estimated),),
        realized=(_perf("roc_auc", realized),),
    )


def test_realized_drop_with_stable_inputs_and_estimate_is_concept_drift() -> None:
    chunk = _chunk(0, drifted=False, estimated=0.97, realized=0.80)
    verdict = classify_chunk(chunk)
    assert verdict.kind == "concept_drift"
    assert verdict.key == "[0:99]"
    assert verdict.realized_drop is True


def test_multivariate_alert_alone_counts_as_input_drift() -> None:
    chunk = _chunk(0, drifted=False, estimated=0.90, realized=0.90).model_copy(
        update={
            "multivariate": MultivariateDrift(
                reconstruction_error=1.5, lower_threshold=1.0, upper_threshold=1.2, alert=True
            )
        }
    )
    assert chunk.input_drift
    assert classify_chunk(chunk).kind == "covariate_shift"


def test_window_verdict_is_its_most_serious_chunk() -> None:
    result = MonitoringResult(
        chunking="size=100",
        features=("car_value",),
        metrics=("roc_auc",),
        targets=TargetCoverage(
            predictions=300, targets_received=200, matched=200, unmatched_targets=0
        ),
        chunks=(
            _chunk(0, drifted=False, estimated=0.97, realized=0.97),
            _chunk(1, drifted=True, estimated=0.90, realized=0.90),
            _chunk(2, drifted=False, estimated=0.97, realized=None),
        ),
    )
    window = classify_window(result)
    assert [c.kind for c in window.chunks] == ["no_drift", "covariate_shift", "no_drift"]
    assert window.kind == "covariate_shift"
    assert window.reason.endswith("in 1 of 3 chunk(s): [100:199]")
    assert window.chunks_of("no_drift") == (0, 2)
    with pytest.raises(KeyError, match="metric 'f1' was not monitored"):
        classify_window(result, "f1")


def test_car_loan_second_half_is_covariate_shift(
    full_result: MonitoringResult, car_loan: CarLoan
) -> None:
    window = classify_window(full_result)
    assert window.kind == "covariate_shift"
    assert window.chunks_of("covariate_shift") == (5, 6, 7, 8, 9)
    assert window.chunks_of("no_drift") == (0, 1, 2, 3, 4)
    assert all(c.confirmed for c in window.chunks)


def test_flipped_labels_under_stable_inputs_are_reported_as_concept_drift(
    monitor: NannyMonitor, car_loan: CarLoan
) -> None:
    """The first half has no input drift; flipping 30 % of one chunk's arrived labels changes
    P(y|x) only. Realized ROC AUC falls, inputs and CBPE do not: concept drift, that chunk only."""
    ordered = car_loan.analysis.sort_values("timestamp", kind="stable")
    window = ordered.iloc[:25_000]
    targets = car_loan.targets[car_loan.targets["id"].isin(window["id"])].copy()
    chunk_ids = set(ordered["id"].iloc[15_000:20_000])  # chunk 3
    rng = np.random.default_rng(11)
    flip = targets["id"].isin(chunk_ids) & (rng.random(len(targets)) < 0.3)
    targets.loc[flip, "repaid"] = 1 - targets.loc[flip, "repaid"]
    result = monitor.calculate(window, targets)
    verdict = classify_window(result)
    assert verdict.kind == "concept_drift"
    assert verdict.chunks_of("concept_drift") == (3,)
    assert verdict.chunks_of("no_drift") == (0, 1, 2, 4)
    chunk = verdict.chunks[3]
    assert not chunk.input_drift
    assert not chunk.estimated_drop
    assert chunk.realized_drop is True
    realized = result.chunks[3].realized_metric("roc_auc").value
    assert realized is not None
    assert realized < 0.85
