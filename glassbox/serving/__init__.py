"""Online serving with a live glass-box record: ``glassbox serve``.

A registered model version (``models:/NAME@ALIAS`` resolved once and followed, or a pinned
``models:/NAME/VERSION``) served on uvicorn with the data contract of its training run as the
request schema, concurrent requests micro-batched into one model call, every prediction audited
(the score step's canonical encoding, hash and chain) into a write-ahead log with group commit
whose segments are logged to the serving run in MLflow, and latency, errors, throughput and
input drift watched live (``/latency``, ``/drift``, ``/alerts``, ``/metrics``)::

    from glassbox.serving import serve
    serve("models:/car-loan-default@champion", host="127.0.0.1", port=8080)

See docs/serving.md. The heavy parts (the app, uvicorn, MLflow) load when first used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from glassbox.serving._errors import ERROR_TYPES, RequestError, ServingError
from glassbox.serving._settings import (
    AuditLogSettings,
    BatchingSettings,
    DriftWindowSettings,
    FaultSettings,
    RequestSettings,
    ServingSettings,
    SloSettings,
)

if TYPE_CHECKING:
    from glassbox.serving._app import create_app
    from glassbox.serving._batch import BatchHook, BatchProcessor, Job, JobResult
    from glassbox.serving._model import ServedModel, VersionRef, load, parse_model_uri, resolve
    from glassbox.serving._records import Records, RecordSchema
    from glassbox.serving._server import serve
    from glassbox.serving._service import Service
    from glassbox.serving._startup import prepare

_LAZY = {
    "create_app": "glassbox.serving._app",
    "BatchHook": "glassbox.serving._batch",
    "BatchProcessor": "glassbox.serving._batch",
    "Job": "glassbox.serving._batch",
    "JobResult": "glassbox.serving._batch",
    "ServedModel": "glassbox.serving._model",
    "VersionRef": "glassbox.serving._model",
    "load": "glassbox.serving._model",
    "parse_model_uri": "glassbox.serving._model",
    "resolve": "glassbox.serving._model",
    "Records": "glassbox.serving._records",
    "RecordSchema": "glassbox.serving._records",
    "serve": "glassbox.serving._server",
    "Service": "glassbox.serving._service",
    "prepare": "glassbox.serving._startup",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'glassbox.serving' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)


__all__ = [
    "ERROR_TYPES",
    "AuditLogSettings",
    "BatchHook",
    "BatchProcessor",
    "BatchingSettings",
    "DriftWindowSettings",
    "FaultSettings",
    "Job",
    "JobResult",
    "RecordSchema",
    "Records",
    "RequestError",
    "RequestSettings",
    "ServedModel",
    "Service",
    "ServingError",
    "ServingSettings",
    "SloSettings",
    "VersionRef",
    "create_app",
    "load",
    "parse_model_uri",
    "prepare",
    "resolve",
    "serve",
]
