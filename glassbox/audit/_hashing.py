"""SHA-256 or HMAC-SHA256 over canonical bytes; the key stays inside the hasher."""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Iterable, Mapping

from glassbox.audit._errors import AuditError

SHA256 = "sha256"
HMAC_SHA256 = "hmac-sha256"
HASH_ALGS = (SHA256, HMAC_SHA256)
KEY_ENV = "GLASSBOX_AUDIT_HMAC_KEY"


class Hasher:
    """Hashes bytes with SHA-256, or with HMAC-SHA256 when built with a key.

    The key is held privately: it is not part of ``repr``, equality or any error message.
    """

    __slots__ = ("_key", "_mac", "alg")

    def __init__(self, key: bytes | str | None = None) -> None:
        self._mac: hmac.HMAC | None = None
        self._key: bytes | None = None
        self.alg = SHA256
        if key is None:
            return
        if isinstance(key, str):
            key = key.encode("utf-8")
        if not isinstance(key, bytes | bytearray):
            raise AuditError(f"HMAC key: expected bytes or str, got a {type(key).__name__}")
        if not key:
            raise AuditError(f"HMAC key is empty: set {KEY_ENV} to a secret or leave it unset")
        self._key = bytes(key)
        self._mac = hmac.new(self._key, digestmod=hashlib.sha256)
        self.alg = HMAC_SHA256

    @classmethod
    def for_alg(cls, alg: str, key: bytes | str | None, where: str) -> Hasher:
        """The hasher that can check data recorded with ``alg`` (an HMAC needs its key)."""
        if alg == SHA256:
            return cls(None)
        if alg == HMAC_SHA256:
            if key is None:
                raise AuditError(f"{where}: hashed with {HMAC_SHA256}; pass the HMAC key")
            return cls(key)
        raise AuditError(f"{where}: unknown hash_alg {alg!r}; expected one of {HASH_ALGS}")

    def __repr__(self) -> str:
        return f"Hasher(alg={self.alg!r})"

    def hex(self, data: bytes) -> str:
        if self._mac is None:
            return hashlib.sha256(data).hexdigest()
        mac = self._mac.copy()
        mac.update(data)
        return mac.hexdigest()

    def hex_many(self, items: Iterable[bytes]) -> list[str]:
        if self._mac is None:
            sha = hashlib.sha256
            return [sha(b).hexdigest() for b in items]
        out = []
        base = self._mac
        for data in items:
            mac = base.copy()
            mac.update(data)
            out.append(mac.hexdigest())
        return out


def key_from_env(environ: Mapping[str, str] | None = None) -> bytes | None:
    """The HMAC key from ``GLASSBOX_AUDIT_HMAC_KEY`` (UTF-8), or None when unset or empty."""
    value = (os.environ if environ is None else environ).get(KEY_ENV, "")
    return value.encode("utf-8") if value else None
