"""Who called: the client-id header (else the User-Agent), recorded only as a keyed hash.

The key is ``GLASSBOX_SERVING_CALLER_KEY``, else the audit HMAC key, else a random key kept
in the audit directory (``caller.key``, mode 0600), so the same caller hashes the same across
restarts but nobody without the key can tell who it was — or test a guess.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from collections.abc import Mapping
from pathlib import Path

CALLER_KEY_ENV = "GLASSBOX_SERVING_CALLER_KEY"
ANONYMOUS = "anonymous"
_CACHE_LIMIT = 4096


def caller_key(audit_dir: Path, audit_key: bytes | None, environ: Mapping[str, str]) -> bytes:
    explicit = environ.get(CALLER_KEY_ENV, "")
    if explicit:
        return explicit.encode("utf-8")
    if audit_key:
        return audit_key
    path = audit_dir / "caller.key"
    if path.exists():
        return path.read_bytes()
    key = secrets.token_bytes(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, key)
        os.fsync(fd)
    finally:
        os.close(fd)
    return key


class CallerHasher:
    """HMAC-SHA256 (first 32 hex digits) of the caller string, memoised."""

    def __init__(self, key: bytes) -> None:
        self._mac = hmac.new(key, digestmod=hashlib.sha256)
        self._cache: dict[str, str] = {}

    def __call__(self, caller: str | None) -> str:
        text = caller or ANONYMOUS
        found = self._cache.get(text)
        if found is not None:
            return found
        mac = self._mac.copy()
        mac.update(text.encode("utf-8", "surrogateescape"))
        digest = mac.hexdigest()[:32]
        if len(self._cache) >= _CACHE_LIMIT:
            self._cache.clear()
        self._cache[text] = digest
        return digest
