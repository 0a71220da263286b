"""``glassbox trace``: from one prediction to everything behind it, in one call.

A prediction (its audit record hash, its prediction id, or the scored row as JSON) is found in
the audit tables of the score runs; from there the trace follows the record: the score run,
the prediction's place in the hash chain (rechecked), the model version and fingerprint, the
training run, its input datasets with digests and the runs that produced them back to the raw
sources, and for every run the git commit, dirty flag, lock digest, image and workflow.
"""

from glassbox.trace._models import (
    TRACE_FORMAT,
    ChainCheck,
    DatasetLink,
    ModelLink,
    PredictionRecord,
    RunRecord,
    Trace,
)
from glassbox.trace._render import render
from glassbox.trace._trace import PredictionNotFoundError, trace

__all__ = [
    "TRACE_FORMAT",
    "ChainCheck",
    "DatasetLink",
    "ModelLink",
    "PredictionNotFoundError",
    "PredictionRecord",
    "RunRecord",
    "Trace",
    "render",
    "trace",
]
