"""Concept drift vs covariate shift: what a chunk's three signals say together.

Signals per chunk: *input drift* (any feature or the multivariate reconstruction error
alerted), *estimated drop* (CBPE's label-free estimate fell below its band) and *realized drop*
(the performance measured on arrived targets fell below its band; unknown until enough targets
arrived).

=========================  ==========  ==========  =====================================
realized drop              input drift est. drop   kind
=========================  ==========  ==========  =====================================
yes                        yes         yes         covariate_shift (explained by inputs)
yes                        otherwise               concept_drift (P(y|x) changed)
no                         any         yes         estimate_not_confirmed
no                         yes         no          input_drift (benign: performance held)
no                         no          no          no_drift
unknown                    yes         yes         covariate_shift (unconfirmed)
unknown                    no          yes         estimated_drop (unconfirmed)
unknown                    yes         no          input_drift (unconfirmed)
unknown                    no          no          no_drift (unconfirmed)
=========================  ==========  ==========  =====================================

A window's verdict is its most serious chunk kind (order above: concept drift first).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from glassbox.monitoring._results import ChunkResult, MonitoringResult

Kind = Literal[
    "concept_drift",
    "covariate_shift",
    "estimate_not_confirmed",
    "estimated_drop",
    "input_drift",
    "no_drift",
]
SERIOUSNESS: tuple[Kind, ...] = (
    "concept_drift",
    "covariate_shift",
    "estimate_not_confirmed",
    "estimated_drop",
    "input_drift",
    "no_drift",
)


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DriftVerdict(_Frozen):
    """The kind of change in one chunk, the evidence it rests on and a one-line reason."""

    kind: Kind
    input_drift: bool
    estimated_drop: bool
    realized_drop: bool | None
    # True once realized performance is known (targets arrived), so the kind is confirmed.
    confirmed: bool
    reason: str


class ChunkVerdict(DriftVerdict):
    index: int
    key: str


class WindowVerdict(_Frozen):
    kind: Kind
    reason: str
    metric: str
    chunks: tuple[ChunkVerdict, ...]

    def chunks_of(self, kind: Kind) -> tuple[int, ...]:
        return tuple(c.index for c in self.chunks if c.kind == kind)


def classify(
    input_drift: bool, estimated_drop: bool, realized_drop: bool | None, *, est: str = "CBPE"
) -> DriftVerdict:
    """Classify one set of signals (see the module table); ``est`` names the label-free
    estimator in the reason (CBPE, or DLE for a regression error)."""
    kind, reason = _decide(input_drift, estimated_drop, realized_drop, est)
    return DriftVerdict(
        kind=kind,
        input_drift=input_drift,
        estimated_drop=estimated_drop,
        realized_drop=realized_drop,
        confirmed=realized_drop is not None,
        reason=reason,
    )


# (realized drop, input drift, estimated drop) → kind; realized None = not known yet.
_TABLE: dict[tuple[bool | None, bool, bool], Kind] = {
    (True, True, True): "covariate_shift",
    (True, True, False): "concept_drift",
    (True, False, True): "concept_drift",
    (True, False, False): "concept_drift",
    (False, True, True): "estimate_not_confirmed",
    (False, False, True): "estimate_not_confirmed",
    (False, True, False): "input_drift",
    (False, False, False): "no_drift",
    (None, True, True): "covariate_shift",
    (None, False, True): "estimated_drop",
    (None, True, False): "input_drift",
    (None, False, False): "no_drift",
}
_REASONS: dict[Kind, str] = {
    "covariate_shift": "inputs drifted and {est}'s estimate fell",
    "estimate_not_confirmed": "{est}'s estimate fell but realized performance held",
    "estimated_drop": "{est}'s estimate fell without detected input drift",
    "input_drift": "inputs drifted, performance held",
    "no_drift": "no input drift and no performance drop",
}


def estimator(metric: str) -> str:
    """NannyML's label-free estimator of ``metric``: DLE for a regression error, else CBPE."""
    from glassbox.monitoring._settings import REGRESSION_METRICS

    return "DLE" if metric in REGRESSION_METRICS else "CBPE"


def _decide(
    inputs: bool, estimate: bool, realized: bool | None, est: str = "CBPE"
) -> tuple[Kind, str]:
    kind = _TABLE[(realized, inputs, estimate)]
    if kind == "concept_drift":
        why = " and ".join(
            part
            for part, applies in (
                ("inputs did not drift", not inputs),
                (f"{est}'s estimate did not fall", not estimate),
            )
            if applies
        )
        return kind, f"realized performance fell while {why}: concept drift"
    reason = _REASONS[kind].format(est=est)
    if realized is None:
        return kind, f"{reason} (realized performance not known yet)"
    if realized:
        return kind, f"realized performance fell, {reason}: covariate shift"
    return kind, reason


def classify_chunk(chunk: ChunkResult, metric: str = "roc_auc") -> ChunkVerdict:
    """Classify one monitored chunk on ``metric`` (estimated and realized)."""
    realized = chunk.realized_metric(metric)
    verdict = classify(
        input_drift=chunk.input_drift,
        estimated_drop=chunk.estimated_metric(metric).dropped,
        realized_drop=realized.dropped if realized.value is not None else None,
        est=estimator(metric),
    )
    return ChunkVerdict(index=chunk.index, key=chunk.key, **verdict.model_dump())


def classify_window(result: MonitoringResult, metric: str = "roc_auc") -> WindowVerdict:
    """Per-chunk verdicts and the window's most serious one, naming the chunks behind it."""
    if metric not in result.metrics:
        raise KeyError(f"metric {metric!r} was not monitored; monitored: {list(result.metrics)}")
    chunks = tuple(classify_chunk(c, metric) for c in result.chunks)
    if not chunks:
        return WindowVerdict(kind="no_drift", reason="no chunks", metric=metric, chunks=())
    kind = min((c.kind for c in chunks), key=SERIOUSNESS.index)
    keys = [c.key for c in chunks if c.kind == kind]
    first = next(c for c in chunks if c.kind == kind)
    reason = f"{first.reason} in {len(keys)} of {len(chunks)} chunk(s): {', '.join(keys)}"
    return WindowVerdict(kind=kind, reason=reason, metric=metric, chunks=chunks)
