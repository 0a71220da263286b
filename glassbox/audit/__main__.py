"""``python -m glassbox.audit``: compile (or load) the native engine's loops and check them
against the reference engine; prints the engine in force. Run it when building an image so
the first batch of every pod finds the loops compiled (with NUMBA_CACHE_DIR baked in)."""

from __future__ import annotations

import sys

import glassbox  # noqa: F401  (telemetry off first)
from glassbox.audit import warm_up

if __name__ == "__main__":
    info = warm_up()
    print(info.summary())
    sys.exit(0 if info.native == "ready" else 1)
