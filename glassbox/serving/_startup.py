"""Starting a server: ``prepare`` (before the listener opens) and the helpers ``Service.start``
uses — the background process, the audit's native engine, the alert router, the frozen heap."""

from __future__ import annotations

import fcntl
import logging
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from glassbox.serving._errors import ServingError
from glassbox.serving._model import VersionRef
from glassbox.serving._offload import Offload
from glassbox.serving._segment_files import ensure_dir
from glassbox.serving._settings import ServingSettings

log = logging.getLogger("glassbox.serving")


@dataclass
class Prepared:
    """What ``prepare`` found: the pinned version, the locked audit directory."""

    uri: str
    ref: VersionRef
    audit_dir: Path
    lock_fd: int
    audit_key: bytes | None
    previous_runs: list[str] = field(default_factory=list)


def prepare(settings: ServingSettings, uri: str, environ: dict[str, str]) -> Prepared:
    from glassbox.audit import key_from_env
    from glassbox.serving._model import resolve
    from glassbox.serving._uploader import Uploader
    from glassbox.tracking import configure, glassbox_home

    configure()
    ref = resolve(uri)
    root = settings.audit.dir or glassbox_home() / "serving" / "audit"
    root = ensure_dir(Path(root).resolve())
    fd = os.open(root / "LOCK", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        raise ServingError(
            f"audit directory {root} is in use by another glassbox serve process: give each "
            "server its own (serving.audit.dir)"
        ) from None
    key = key_from_env(environ)
    previous = Uploader(root, "", key, keep=0, retry_seconds=1).recover_previous()
    return Prepared(uri, ref, root, fd, key, previous)


def start_offload(settings: ServingSettings) -> Offload | None:
    """The helper process for segment uploads and live drift (started now: its imports
    overlap the model's loading)."""
    if not settings.background_process:
        return None
    import mlflow

    offload = Offload(mlflow.get_tracking_uri(), mlflow.get_registry_uri())
    offload.start(("glassbox.audit", "glassbox.drift", "pyarrow.parquet"))
    return offload


def freeze_heap() -> None:
    """Move everything loaded so far (MLflow, pandas, scikit-learn, the model) out of the
    cyclic garbage collector's sight: a full collection then scans only what requests
    allocate, instead of pausing the event loop for the whole heap."""
    import gc

    gc.collect()
    gc.freeze()


M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # mallopt parameters (malloc.h)
MMAP_CEILING_MB = 32  # glibc's largest M_MMAP_THRESHOLD on 64-bit (4 Mi * sizeof(long))


def keep_freed_memory(megabytes: int) -> str:
    """Ask glibc's malloc to serve allocations below 32 MB from its heaps and to keep up to
    ``megabytes`` of freed memory for reuse instead of handing it back to the kernel: each
    micro-batch's audit buffers (several MB) then reuse memory already mapped, not fresh
    pages the kernel must fault in and zero again (measured: ~6,400 page faults and 13 ms
    of system time per 65,536-row batch without it). 0 leaves glibc's defaults. Returns what
    was done, for the start log."""
    import ctypes
    import platform

    if megabytes <= 0:
        return "allocator: glibc defaults"
    if platform.libc_ver()[0] != "glibc":
        return "allocator: not glibc, left as it is"
    libc = ctypes.CDLL(None)
    threshold = min(megabytes, MMAP_CEILING_MB) << 20
    done = libc.mallopt(M_MMAP_THRESHOLD, threshold) and libc.mallopt(
        M_TRIM_THRESHOLD, megabytes << 20
    )
    if not done:
        return "allocator: glibc refused mallopt, defaults kept"
    return f"allocator: up to {megabytes} MB of freed memory kept for reuse (glibc mallopt)"


def alert_router(environ: dict[str, str]) -> Any:
    """Makes an AlertRouter when Slack or PagerDuty is configured, else None (alerts stay on
    /alerts). A factory: the router's outbox connection belongs to the thread using it."""
    if not (environ.get("SLACK_WEBHOOK_URL") or environ.get("PAGERDUTY_ROUTING_KEY")):
        return None
    from glassbox.alerts import AlertRouter
    from glassbox.config import settings

    section = settings().alerts
    return lambda: AlertRouter.from_env(section, environ=environ)


def drift_thresholds() -> Any:
    """The monitoring cron's thresholds (``monitoring.drift_thresholds``): same severities."""
    from glassbox.config import settings

    return settings().monitoring.drift_thresholds


def warm_up_audit() -> None:
    """Load the audit's native engine (compiled loops, checked against the reference engine:
    about a CPU-second) in a thread beside the start, not before /ready: batches audited
    meanwhile take the reference engine, which writes the same bytes (docs/audit.md). A bad
    GLASSBOX_AUDIT_ENGINE fails the start here."""
    from glassbox import audit

    if audit.engine_info().setting == "python":
        return

    def load() -> None:
        log.info("glassbox serve: %s", audit.warm_up().summary())

    threading.Thread(target=load, name="glassbox-audit-warm-up", daemon=True).start()
