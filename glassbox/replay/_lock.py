"""Is this environment the one the recorded run had? The recorded lock digest names a
requirements.lock; the installed distributions are compared with its pins."""

from __future__ import annotations

import re
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

_PIN = re.compile(
    r"^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?==([^\s;\\]+)\s*(?:;\s*([^\\]+?))?\s*\\?$"
)


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(lock: Path) -> dict[str, str]:
    """name -> version of every requirement whose environment marker holds here."""
    from packaging.markers import Marker

    out: dict[str, str] = {}
    for line in lock.read_text(encoding="utf-8").splitlines():
        match = _PIN.match(line.strip())
        if not match:
            continue
        name, _, pinned, marker = match.groups()
        if marker and not Marker(marker.strip()).evaluate():
            continue
        out[_normal(name)] = pinned
    return out


def differences(lock: Path, limit: int = 8) -> list[str]:
    """``name: locked X, installed Y`` for every pin this interpreter does not satisfy."""
    out = []
    for name, pinned in sorted(pins(lock).items()):
        try:
            installed = version(name)
        except PackageNotFoundError:
            installed = "not installed"
        if installed != pinned:
            out.append(f"{name}: locked {pinned}, installed {installed}")
    return out[:limit] + ([f"... {len(out) - limit} more"] if len(out) > limit else [])
