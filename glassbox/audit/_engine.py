"""Which engine builds an audit: the native one (compiled loops) or the reference one.

Both write the same bytes. ``GLASSBOX_AUDIT_ENGINE`` = ``auto`` (default) | ``native`` |
``python``. ``auto`` uses the native engine once it is loaded in this process; else for a batch
of at least ``AUTO_MIN_ROWS`` rows when the compiled loops are in the on-disk cache (loading
them takes about a second), or of at least ``COLD_MIN_ROWS`` when they must first be compiled
(10 CPU-seconds or so). A server calls :func:`warm_up` at start so every micro-batch takes the
native path; an image can compile them at build time (``python -m glassbox.audit``). The
native engine needs numba and a shared OpenSSL libcrypto; without them, or if its self-test
disagrees with the reference, everything uses the reference engine.
"""

from __future__ import annotations

import functools
import os
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from glassbox.audit._errors import AuditError

ENGINE_ENV = "GLASSBOX_AUDIT_ENGINE"
ENGINES = ("auto", "native", "python")
AUTO_MIN_ROWS = 20_000
COLD_MIN_ROWS = 1_000_000

_lock = threading.Lock()
_status: str | None = None  # None: not loaded yet; "ready"; else why the native engine is off


@dataclass(frozen=True)
class EngineInfo:
    """The engine ``auto`` picks now, and the native engine's state (``ready`` or a reason)."""

    setting: str
    native: str
    libcrypto: str | None

    def summary(self) -> str:
        where = f" ({self.libcrypto})" if self.libcrypto else ""
        return f"audit engine: {self.setting}; native: {self.native}{where}"


def setting() -> str:
    value = os.environ.get(ENGINE_ENV, "auto").strip().lower() or "auto"
    if value not in ENGINES:
        raise AuditError(f"{ENGINE_ENV}={value!r}: expected one of {ENGINES}")
    return value


def _cache_dir() -> Path:
    """Where numba keeps the compiled loops: $NUMBA_CACHE_DIR, next to the source, or a temp
    directory when the package is read-only."""
    if os.environ.get("NUMBA_CACHE_DIR"):
        return Path(os.environ["NUMBA_CACHE_DIR"])
    here = Path(__file__).parent
    if os.access(here, os.W_OK):
        return here / "__pycache__"
    return Path(tempfile.gettempdir()) / f"glassbox-numba-{os.getuid()}"


def _numba_cache() -> None:
    if os.environ.get("NUMBA_CACHE_DIR") or os.access(Path(__file__).parent, os.W_OK):
        return
    from numba.core import config

    if not getattr(config, "CACHE_DIR", ""):
        setattr(config, "CACHE_DIR", str(_cache_dir()))  # noqa: B010  (numba's config is untyped)


@functools.lru_cache(maxsize=1)
def _marker() -> Path:
    """A file written once the loops compiled and passed the self-test here: its name binds
    the kernel sources, the numba version and the CPU (what numba's cache is keyed by)."""
    import hashlib
    import importlib.metadata
    import platform

    here = Path(__file__).parent
    digest = hashlib.sha256()
    for name in ("_kernels.py", "_numtext.py"):
        digest.update((here / name).read_bytes())
    try:
        numba = importlib.metadata.version("numba")
    except importlib.metadata.PackageNotFoundError:
        numba = "absent"
    digest.update(f"{numba}|{platform.machine()}|{_cpu()}".encode())
    return _cache_dir() / f"glassbox-audit-{digest.hexdigest()[:16]}.ready"


def _cpu() -> str:
    try:
        from llvmlite import binding

        return str(binding.get_host_cpu_name())
    except ImportError:
        return "unknown"


def compiled() -> bool:
    """Whether the loops are in the on-disk cache (compiled and checked on this machine)."""
    return _marker().is_file()


def _load() -> str:
    from glassbox.audit._crypto import sha256_functions

    fns = sha256_functions()
    if isinstance(fns, str):
        return fns
    try:
        _numba_cache()
        from glassbox.audit import _kernels  # noqa: F401  (compiles or loads the loops)
    except ImportError as exc:
        return f"numba is not installed ({exc.name})"
    from glassbox.audit._selftest import self_test

    status = self_test()
    if status == "ready":
        try:
            _marker().parent.mkdir(parents=True, exist_ok=True)
            _marker().touch()
        except OSError:
            pass  # a read-only cache: the loops load (or compile) on each first use
    return status


def warm_up() -> EngineInfo:
    """Load (and on first use compile) the native engine and check it against the reference."""
    global _status  # noqa: PLW0603  (loaded once per process)
    with _lock:
        if _status is None:
            _status = _load()
    return info()


def info() -> EngineInfo:
    from glassbox.audit._crypto import sha256_functions

    fns = sha256_functions()
    path = None if isinstance(fns, str) else fns.path
    return EngineInfo(setting(), _status or "not loaded", path)


def use_native(rows: int, smallest: int = 0) -> bool:
    """Whether a batch of ``rows`` rows goes through the native engine (under ``auto``, not
    when it has fewer than ``smallest`` rows: its fixed cost per call would exceed the
    reference engine's whole cost)."""
    choice = setting()
    if choice == "python" or (choice == "auto" and rows < smallest):
        return False
    cold = rows >= COLD_MIN_ROWS or (rows >= AUTO_MIN_ROWS and compiled())
    if choice == "native" or _status == "ready" or (_status is None and cold):
        warm_up()
        if _status != "ready" and choice == "native":
            raise AuditError(f"{ENGINE_ENV}=native but the native engine is off: {_status}")
        return _status == "ready"
    return False


def loaded() -> bool:
    """Whether the native engine is loaded and passed its self-test in this process."""
    return _status == "ready"
