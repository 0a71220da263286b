"""The ASGI app (Starlette): /predict, /monitor, /drift, /latency, /alerts, /health, /ready,
/metrics and /admin/reload. Every answer is JSON (``/metrics``: Prometheus text); a bad
request gets a 4xx naming the problem, a server-side failure a 5xx with a type — never a
traceback."""

from __future__ import annotations

import asyncio
import hmac
import logging
import os
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from glassbox.serving._batch import Job, JobResult
from glassbox.serving._errors import NOT_FOUND, NOT_READY, RequestError
from glassbox.serving._http import decode_json, error_response, read_body, respond
from glassbox.serving._latency import summary_json
from glassbox.serving._monitored import monitored
from glassbox.serving._service import Service

log = logging.getLogger("glassbox.serving")
ADMIN_TOKEN_ENV = "GLASSBOX_SERVING_ADMIN_TOKEN"  # noqa: S105  (a variable name, not a secret)
Handler = Callable[[Request], Awaitable[Response]]


@dataclass(eq=False)
class Call:
    """One /predict or /monitor request on its way through the handler."""

    endpoint: str
    request_id: str
    start: float
    start_ns: int
    status: int = 500
    seconds: float = 0.0
    caller: str = ""
    job: Job | None = None
    result: JobResult | None = None
    error: RequestError | None = None


def _now64() -> np.datetime64:
    return np.datetime64(time.time_ns() // 1000, "us")


class Endpoints:
    """The handlers, bound to one ``Service``."""

    def __init__(self, service: Service) -> None:
        self.s = service

    # -- prediction ----------------------------------------------------------------------------

    async def predict(self, request: Request) -> Response:
        return await self._scored(request, "predict")

    async def monitor(self, request: Request) -> Response:
        return await self._scored(request, "monitor")

    async def _scored(self, request: Request, endpoint: str) -> Response:
        s = self.s
        call = Call(endpoint, uuid.uuid4().hex, time.perf_counter(), time.time_ns())
        s.in_flight += 1
        in_flight = s.metrics.child("glassbox_serving_in_flight_requests")
        in_flight.inc()  # the same child is decremented, whatever version answers
        batcher = owner = s.batcher
        if batcher is not None:
            batcher.receiving += 1
            batcher.in_flight += 1
        try:
            call.job = await self._job(request, endpoint, call.request_id)
            call.caller = call.job.caller
            if batcher is not None:
                batcher.receiving -= 1
                batcher = None
            self._submit(call.job)
            call.result = await call.job.future
            call.status = 200
            response = respond(200, self._body(endpoint, call.job, call.result, call.request_id))
        except RequestError as exc:
            call.error, call.status = exc, exc.status
            response = error_response(exc)
        except Exception as exc:  # a bug: answer 500 without a traceback, log it
            log.exception("unexpected error in /%s", endpoint)
            call.error = RequestError(
                500,
                "internal_error",
                f"internal error ({type(exc).__name__})",
                error_type="model_error",
            )
            response = error_response(call.error)
        finally:
            if batcher is not None:
                batcher.receiving -= 1
            if owner is not None:
                owner.in_flight -= 1
            s.in_flight -= 1
            in_flight.dec()
        call.seconds = time.perf_counter() - call.start
        self._account(call)
        self._log(call, request)
        return response

    async def _job(self, request: Request, endpoint: str, request_id: str) -> Job:
        s = self.s
        model = s.model
        if model is None or s.batcher is None:
            raise RequestError(
                503,
                "not_ready",
                "the model is not loaded yet; retry shortly",
                error_type=NOT_READY,
                headers={"Retry-After": "1"},
            )
        event_time = _now64()
        body = await read_body(request, s.settings.requests.max_body_bytes)
        doc = decode_json(body)
        header = s.settings.requests.client_id_header
        caller = s.callers(request.headers.get(header) or request.headers.get("user-agent"))
        future: asyncio.Future[JobResult] = asyncio.get_running_loop().create_future()
        if endpoint == "predict":
            records = model.schema.validate(doc, request_id)
            return Job(model, records, event_time, caller, request_id, future)
        found = monitored(model.schema, doc)
        if len(found.latency_seconds):
            s.reported.add_many(found.latency_seconds)
            s.metrics.reported_latency(found.latency_seconds)
        return Job(
            model,
            found.records,
            event_time,
            caller,
            request_id,
            future,
            proba=found.proba,
            label=found.label,
        )

    def _submit(self, job: Job) -> None:
        assert self.s.batcher is not None
        self.s.batcher.submit(job)

    @staticmethod
    def _body(endpoint: str, job: Job, result: JobResult, request_id: str) -> dict[str, Any]:
        stamp = str(np.datetime_as_string(job.event_time, unit="us")) + "+00:00"
        model = result.model.info()
        if endpoint == "monitor":
            audit = [
                {"id": i, "audit_hash": h}
                for i, h in zip(job.records.ids, result.hashes, strict=True)
            ]
            return {
                "recorded": job.records.n,
                "audit": audit,
                "model": model,
                "event_timestamp": stamp,
                "request_id": request_id,
            }
        predictions = [
            {"id": i, "proba": p, "label": lab, "audit_hash": h}
            for i, p, lab, h in zip(
                job.records.ids,
                result.proba.tolist(),
                result.label.tolist(),
                result.hashes,
                strict=True,
            )
        ]
        return {
            "predictions": predictions,
            "model": model,
            "event_timestamp": stamp,
            "request_id": request_id,
        }

    def _account(self, call: Call) -> None:
        s, error, job = self.s, call.error, call.job
        model = call.result.model.ref if call.result is not None else None
        labels = (model.name, model.version) if model is not None else None
        s.metrics.request(f"/{call.endpoint}", call.status, call.seconds, model=labels)
        server_error = call.status >= 500 and error is not None and error.error_type != NOT_READY
        if error is not None:
            s.metrics.error(error.error_type)
            if server_error and job is not None:
                s.metrics.predictions("error", job.records.n)
        if call.endpoint == "predict" and (call.status == 200 or server_error):
            s.latency.add(call.seconds, error=server_error)

    def _log(self, call: Call, request: Request) -> None:
        """The request's span (when tracing is on) and its access log line, with the same ids."""
        s, result, job, error = self.s, call.result, call.job, call.error
        model = result.model if result else s.model
        path = f"/{call.endpoint}"
        shared: dict[str, Any] = {"request_id": call.request_id, "status": call.status}
        if model is not None:
            shared |= {"model_name": model.ref.name, "model_version": model.ref.version}
        if job is not None and result is not None:
            shared |= {
                "rows": job.records.n,
                "batch_size": result.batch_rows,
                "prediction_ids": job.records.id_texts,
                "audit_hashes": result.hashes,
            }
        entry: dict[str, Any] = {"event": "request", "method": "POST", "path": path} | shared
        entry |= {"duration_ms": round(call.seconds * 1e3, 3), "caller": call.caller or None}
        if error is not None:
            entry["error"] = {"code": error.code, "type": error.error_type, "field": error.field}
        if s.tracing is not None and s.tracing.enabled:
            attributes = {f"glassbox.{k}": v for k, v in shared.items() if k != "status"}
            attributes |= {
                "http.request.method": "POST",
                "url.path": path,
                "http.response.status_code": call.status,
            }
            trace_id, span_id = s.tracing.record(
                f"POST {path}",
                (call.start_ns, time.time_ns()),
                request.headers,
                attributes,
                error=error.code if error else None,
            )
            entry |= {"trace_id": trace_id, "span_id": span_id}
        s.access_log.write(entry)

    # -- the live record -----------------------------------------------------------------------

    async def drift(self, request: Request) -> Response:
        s = self.s
        if s.drift is None or s.model is None:
            return self._not_ready("/drift")
        live = await s.refresh()
        assert live is not None
        body = live.to_json(s.settings.drift.window_rows, s.settings.drift.min_rows)
        return self._ok("/drift", body | {"model": s.model.info()})

    async def latency(self, request: Request) -> Response:
        s, slo = self.s, self.s.settings.slo
        body = {
            "predict": summary_json(s.latency.summary(), slo.p95_ms, slo.p99_ms),
            "monitored": summary_json(s.reported.summary(), slo.p95_ms, slo.p99_ms),
            "window_requests": slo.window_requests,
        }
        return self._ok("/latency", body | {"model": s.model.info() if s.model else None})

    async def alerts(self, request: Request) -> Response:
        s = self.s
        if s.board is None:
            return self._not_ready("/alerts")
        return self._ok("/alerts", {"alerts": s.alerts(), "evaluated_at": time.time()})

    async def shadow(self, request: Request) -> Response:
        """Shadow mode: the challenger shadowed, records written, dropped, queued, where."""
        s = self.s
        if s.shadow is None:
            enabled = s.settings.shadow.enabled
            state = "disabled" if not enabled else "failed" if s.delivery_failure else "starting"
            body = {"enabled": enabled, "state": state, "reason": s.delivery_failure or ""}
            return self._ok("/shadow", body)
        return self._ok("/shadow", s.shadow.describe())

    async def triggers(self, request: Request) -> Response:
        """The trigger rules, the live values they see, and what fired."""
        s = self.s
        if s.triggers is None:
            body = {"enabled": s.settings.triggers.enabled, "reason": s.delivery_failure or ""}
            return self._ok("/triggers", body)
        body = await asyncio.to_thread(s.triggers.describe)
        return self._ok("/triggers", {"enabled": True} | body)

    async def health(self, request: Request) -> Response:
        return self._ok("/health", {"status": "ok"})

    async def ready(self, request: Request) -> Response:
        s = self.s
        if s.ready and s.model is not None:
            body = {"status": "ready", "model": s.model.info(), "run_id": s.run.run_id}
            return self._ok("/ready", body)
        reason = s.failure or ("shutting down" if s.batcher and s.batcher.closing else "loading")
        return self._count("/ready", respond(503, {"status": "not_ready", "reason": reason}))

    async def metrics(self, request: Request) -> Response:
        from prometheus_client import CONTENT_TYPE_LATEST

        if self.s.uploader is not None:
            self.s.metrics.segments(pending=self.s.uploader.pending())
        body = await asyncio.to_thread(self.s.metrics.exposition)
        return self._count("/metrics", Response(body, media_type=CONTENT_TYPE_LATEST))

    async def reload(self, request: Request) -> Response:
        """Check the followed alias now (off unless ``GLASSBOX_SERVING_ADMIN_TOKEN`` is set)."""
        token = os.environ.get(ADMIN_TOKEN_ENV, "")
        given = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        if not token:
            error = RequestError(
                404,
                "not_found",
                f"admin endpoints are off: set {ADMIN_TOKEN_ENV} to enable them",
                error_type=NOT_FOUND,
            )
        elif not hmac.compare_digest(given.encode(), token.encode()):
            error = RequestError(
                401,
                "bad_token",
                "Authorization: Bearer <token> expected",
                error_type="unauthorized",
            )
        elif self.s.follower is None:
            error = RequestError(
                409, "not_following", "this server serves a pinned version, not an alias"
            )
        else:
            self.s.follower.poke()
            return self._count("/admin/reload", respond(202, {"status": "checking the alias"}))
        return self._count("/admin/reload", error_response(error))

    async def index(self, request: Request) -> Response:
        s = self.s
        return self._ok(
            "/",
            {
                "service": "glassbox serve",
                "model": s.model.info() if s.model else None,
                "run_id": s.run.run_id or None,
                "endpoints": [
                    "POST /predict",
                    "POST /monitor",
                    "GET /drift",
                    "GET /latency",
                    "GET /alerts",
                    "GET /shadow",
                    "GET /triggers",
                    "GET /health",
                    "GET /ready",
                    "GET /metrics",
                ],
            },
        )

    # -- helpers -------------------------------------------------------------------------------

    def _ok(self, endpoint: str, body: dict[str, Any]) -> Response:
        return self._count(endpoint, respond(200, body))

    def _not_ready(self, endpoint: str) -> Response:
        error = RequestError(
            503,
            "not_ready",
            "the model is not loaded yet",
            error_type=NOT_READY,
            headers={"Retry-After": "1"},
        )
        self.s.metrics.error(NOT_READY)
        return self._count(endpoint, error_response(error))

    def _count(self, endpoint: str, response: Response) -> Response:
        self.s.metrics.request(endpoint, response.status_code, None)
        return response


def _nf(message: str) -> dict[str, Any]:
    return {"error": {"type": NOT_FOUND, "code": "not_found", "message": message}}


def create_app(service: Service, host: str = "127.0.0.1", port: int = 0) -> Starlette:
    """The Starlette app serving ``service`` (its lifespan starts and stops the service)."""
    e = Endpoints(service)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        task = asyncio.get_running_loop().create_task(service.start(host, port))
        app.state.start_task = task
        try:
            yield
        finally:
            if not task.done():
                task.cancel()
            await service.stop()

    async def not_found(request: Request, exc: Exception) -> Response:
        code = exc.status_code if isinstance(exc, HTTPException) else 404
        service.metrics.request("other", code, None)
        service.metrics.error(NOT_FOUND if code == 404 else "invalid_input")
        if code == 405:
            return respond(
                405,
                {
                    "error": {
                        "type": "invalid_input",
                        "code": "method_not_allowed",
                        "message": f"{request.method} {request.url.path}: method not allowed",
                    }
                },
            )
        return respond(
            code, _nf(f"{request.method} {request.url.path}: no such endpoint; GET / lists them")
        )

    routes = [
        Route("/predict", e.predict, methods=["POST"]),
        Route("/monitor", e.monitor, methods=["POST"]),
        Route("/drift", e.drift, methods=["GET"]),
        Route("/latency", e.latency, methods=["GET"]),
        Route("/alerts", e.alerts, methods=["GET"]),
        Route("/shadow", e.shadow, methods=["GET"]),
        Route("/triggers", e.triggers, methods=["GET"]),
        Route("/health", e.health, methods=["GET"]),
        Route("/ready", e.ready, methods=["GET"]),
        Route("/metrics", e.metrics, methods=["GET"]),
        Route("/admin/reload", e.reload, methods=["POST"]),
        Route("/", e.index, methods=["GET"]),
    ]
    return Starlette(
        routes=routes, lifespan=lifespan, exception_handlers={404: not_found, 405: not_found}
    )
