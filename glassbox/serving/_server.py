"""``glassbox serve``: the app on uvicorn (uvloop + httptools, one process), signals wired.

SIGTERM/SIGINT (uvicorn): stop accepting, answer the requests in flight (up to
``serving.drain_seconds``), then the service drains the batcher, closes and logs the audit
segment and ends the run. SIGHUP: check the followed alias now.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sys
from typing import Any

from glassbox.serving._model import parse_model_uri
from glassbox.serving._service import Service
from glassbox.serving._settings import ServingSettings
from glassbox.serving._startup import prepare

log = logging.getLogger("glassbox.serving")


def _uvicorn_server(config: Any, service: Service) -> Any:
    import uvicorn

    class Server(uvicorn.Server):
        async def startup(self, sockets: Any = None) -> None:
            await super().startup(sockets)
            import asyncio

            loop = asyncio.get_running_loop()
            with contextlib.suppress(NotImplementedError, RuntimeError):  # not the main thread
                loop.add_signal_handler(signal.SIGHUP, service.poke)

        async def on_tick(self, counter: int) -> bool:
            if service.failure is not None:
                return True
            return await super().on_tick(counter)

    return Server(config)


def serve(
    model_uri: str | None = None,
    host: str | None = None,
    port: int | None = None,
    settings: ServingSettings | None = None,
) -> int:
    """Run the server until SIGTERM; the exit status (1 when the model could not be served)."""
    import uvicorn

    from glassbox.config import settings as load_settings
    from glassbox.serving._app import create_app

    conf = load_settings()
    serving = settings or conf.serving
    uri = model_uri or serving.resolved_model_uri(
        conf.tracking.registered_model, conf.tracking.champion_alias
    )
    parse_model_uri(uri)  # a malformed URI fails before anything heavy is imported
    host = host or serving.host
    port = serving.port if port is None else port
    logging.basicConfig(
        level=logging.INFO,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # The event loop serves requests; background threads (audit writer and uploader, live
    # drift, MLflow) must hand the GIL back quickly: 1 ms instead of Python's 5 ms default.
    sys.setswitchinterval(0.001)
    environ = dict(os.environ)
    prepared = prepare(serving, uri, environ)
    service = Service(serving, prepared, environ)
    app = create_app(service, host, port)
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        loop="uvloop",
        http="httptools",
        lifespan="on",
        access_log=False,
        log_level="info",
        backlog=4096,
        timeout_keep_alive=30,
        timeout_graceful_shutdown=int(serving.drain_seconds),
    )
    _uvicorn_server(config, service).run()
    return 0 if service.failure is None else 1
