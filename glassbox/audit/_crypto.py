"""OpenSSL's SHA-256 for the native audit engine: the libcrypto this Python's hashlib uses.

The native engine calls ``SHA256_Init/Update/Final`` from compiled loops (numba), so one
prediction costs one SHA-256 and no Python call. The functions are looked up in the libcrypto
already loaded by ``hashlib`` (else the system one) and checked against ``hashlib`` on known
inputs before use; anything missing or different leaves the pure-Python engine in charge.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

# sizeof(SHA256_CTX) is 112 bytes in every OpenSSL since 0.9.8 (8 state words, 2 length words,
# a 64-byte block, 2 ints); the buffers are larger so a different layout cannot overrun them.
CTX_BYTES = 256


@dataclass(frozen=True)
class Sha256Functions:
    """ctypes handles of the one-shot-free SHA-256 API (passed to the kernels as arguments)."""

    path: str
    init: Any
    update: Any
    final: Any


def _loaded_libcrypto() -> str | None:
    """The libcrypto mapped into this process by ``_hashlib`` (Linux), if any."""
    import _hashlib  # noqa: F401  (loads libcrypto when hashlib is backed by OpenSSL)

    try:
        maps = Path("/proc/self/maps").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    for line in maps.splitlines():
        parts = line.split(maxsplit=5)
        if len(parts) == 6 and Path(parts[5]).name.startswith("libcrypto.so"):
            return parts[5].strip()
    return None


def _bind(path: str) -> Sha256Functions:
    lib = ctypes.CDLL(path)
    init, update, final = lib.SHA256_Init, lib.SHA256_Update, lib.SHA256_Final
    init.argtypes, init.restype = [ctypes.c_void_p], ctypes.c_int
    update.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t]
    update.restype = ctypes.c_int
    final.argtypes, final.restype = [ctypes.c_void_p, ctypes.c_void_p], ctypes.c_int
    return Sha256Functions(path, init, update, final)


@lru_cache(maxsize=1)
def sha256_functions() -> Sha256Functions | str:
    """The bound functions, or the reason they cannot be used."""
    path = _loaded_libcrypto() or ctypes.util.find_library("crypto")
    if not path:
        return "no libcrypto found (hashlib is not backed by a shared OpenSSL)"
    try:
        return _bind(path)
    except (OSError, AttributeError) as exc:
        return f"{path}: SHA256_Init/Update/Final not available ({exc})"
