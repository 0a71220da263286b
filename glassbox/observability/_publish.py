"""Where a registry goes: a Pushgateway, a node-exporter textfile, both, or nowhere."""

from __future__ import annotations

import logging
import os
import re
import urllib.error
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from glassbox.observability._errors import ObservabilityError

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry

log = logging.getLogger("glassbox.observability")

PUSHGATEWAY_ENV = "PROMETHEUS_PUSHGATEWAY_URL"
FILE_ENV = "GLASSBOX_METRICS_FILE"
TIMEOUT_ENV = "GLASSBOX_METRICS_TIMEOUT_SECONDS"
DEFAULT_TIMEOUT = 10.0
_URL = re.compile(r"^(https?://)?[^\s/]+(/\S*)?$")


def textfile_path(base: str | Path, job: str, grouping_key: Mapping[str, str]) -> Path:
    """The file one push group is written to, beside ``base``: ``glassbox.prom`` →
    ``glassbox-monitoring-<model>.prom`` / ``glassbox-pipelines-<pipeline>.prom``, so every
    group keeps its own file in the textfile collector's directory."""
    path = Path(base)
    if path.suffix != ".prom":
        raise ObservabilityError(
            f"{FILE_ENV}: expected a file name ending in .prom (the textfile collector reads "
            f"only those), got {str(base)!r}"
        )
    parts = [job.removeprefix("glassbox-"), *grouping_key.values()]
    slug = "-".join(re.sub(r"[^A-Za-z0-9_.-]+", "_", p) for p in parts)
    return path.with_name(f"{path.stem}-{slug}.prom")


def _retryable(exc: Exception) -> bool:
    if isinstance(exc, urllib.error.HTTPError):
        return exc.code == 429 or exc.code >= 500
    return isinstance(exc, OSError)


def _push(
    url: str, registry: CollectorRegistry, job: str, key: Mapping[str, str], timeout: float
) -> None:
    import stamina
    from prometheus_client import push_to_gateway

    if not _URL.match(url):
        raise ObservabilityError(f"{PUSHGATEWAY_ENV}: expected http(s)://host:port, got {url!r}")
    try:
        for attempt in stamina.retry_context(
            on=_retryable,
            attempts=3,
            timeout=3 * timeout,
            wait_initial=0.5,
            wait_max=2.0,
            wait_jitter=0.2,
        ):
            with attempt:
                push_to_gateway(
                    url, job=job, registry=registry, grouping_key=dict(key), timeout=timeout
                )
    except OSError as exc:
        raise ObservabilityError(f"pushing metrics to {url} failed: {exc}") from None


def _write(base: str, registry: CollectorRegistry, job: str, key: Mapping[str, str]) -> Path:
    from prometheus_client import write_to_textfile

    path = textfile_path(base, job, key)
    if not path.parent.is_dir():
        raise ObservabilityError(f"{FILE_ENV}: directory {str(path.parent)!r} does not exist")
    try:
        write_to_textfile(str(path), registry)
    except OSError as exc:
        raise ObservabilityError(f"writing metrics to {str(path)!r} failed: {exc}") from None
    return path


def _timeout(env: Mapping[str, str]) -> float:
    raw = env.get(TIMEOUT_ENV, "").strip()
    if not raw:
        return DEFAULT_TIMEOUT
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not value > 0:
        raise ObservabilityError(f"{TIMEOUT_ENV}: expected seconds > 0, got {raw!r}")
    return value


def deliver(
    registry: CollectorRegistry,
    *,
    job: str,
    grouping_key: Mapping[str, str],
    environ: Mapping[str, str] | None = None,
    strict: bool = False,
) -> list[str]:
    """Push to ``$PROMETHEUS_PUSHGATEWAY_URL`` (replacing the group ``job`` + ``grouping_key``)
    and/or write ``$GLASSBOX_METRICS_FILE``; returns where the metrics went.

    A failure is logged and skipped unless ``strict``: metrics must not fail the run that
    produced them (a silent group is what the "cron silent" alert watches for)."""
    env = os.environ if environ is None else environ
    url = env.get(PUSHGATEWAY_ENV, "").strip()
    base = env.get(FILE_ENV, "").strip()
    done: list[str] = []
    try:
        if url:
            _push(url, registry, job, grouping_key, _timeout(env))
            done.append(url)
    except ObservabilityError as exc:
        _fail(exc, strict)
    try:
        if base:
            done.append(str(_write(base, registry, job, grouping_key)))
    except ObservabilityError as exc:
        _fail(exc, strict)
    return done


def _fail(exc: ObservabilityError, strict: bool) -> None:
    if strict:
        raise exc
    log.warning("metrics not published: %s", exc)
