"""Pickle-free persistence: numpy arrays in an ``.npz`` plus a JSON document of metadata.

Two forms carry the same content: ``pack``/``unpack`` produce one ``bytes`` object (the JSON is
stored inside the archive as UTF-8 under the key ``__meta__``), ``save_dir``/``load_dir`` write
``<stem>.json`` + ``<stem>.npz`` into a directory (what gets logged as an MLflow artifact).
Loading never unpickles (``allow_pickle=False``).
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from glassbox.drift._errors import DriftError

META_KEY = "__meta__"

# np.savez typed loosely: its stub mistakes the ** array mapping for its keyword options.
_savez: Callable[..., None] = np.savez


def pack(meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> bytes:
    buffer = io.BytesIO()
    encoded = np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8)
    _savez(buffer, allow_pickle=False, **{META_KEY: encoded}, **arrays)
    return buffer.getvalue()


def unpack(data: bytes, what: str, fmt: str) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    arrays = _read_npz(io.BytesIO(data), what)
    if META_KEY not in arrays:
        raise DriftError(f"{what}: no {META_KEY!r} entry; not a serialised {fmt}")
    meta = _parse_meta(arrays.pop(META_KEY).tobytes().decode("utf-8"), what)
    _check_format(meta, what, fmt)
    return meta, arrays


def save_dir(
    directory: str | Path, stem: str, meta: dict[str, Any], arrays: dict[str, np.ndarray]
) -> Path:
    path = Path(directory)
    path.mkdir(parents=True, exist_ok=True)
    (path / f"{stem}.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    _savez(path / f"{stem}.npz", allow_pickle=False, **arrays)
    return path


def load_dir(
    directory: str | Path, stem: str, fmt: str
) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    path = Path(directory)
    meta_path, arrays_path = path / f"{stem}.json", path / f"{stem}.npz"
    for required in (meta_path, arrays_path):
        if not required.is_file():
            raise DriftError(f"{required}: file not found; expected a saved {fmt}")
    meta = _parse_meta(meta_path.read_text(encoding="utf-8"), str(meta_path))
    _check_format(meta, str(meta_path), fmt)
    with arrays_path.open("rb") as handle:
        return meta, _read_npz(handle, str(arrays_path))


def array(arrays: dict[str, np.ndarray], key: str, what: str) -> np.ndarray:
    try:
        return arrays[key]
    except KeyError:
        raise DriftError(f"{what}: array {key!r} is missing") from None


def _read_npz(source: Any, what: str) -> dict[str, np.ndarray]:
    try:
        with np.load(source, allow_pickle=False) as archive:
            return {key: archive[key] for key in archive.files}
    except (ValueError, OSError, zipfile.BadZipFile, EOFError) as exc:
        raise DriftError(f"{what}: not a readable npz archive ({exc})") from None


def _parse_meta(text: str, what: str) -> dict[str, Any]:
    try:
        meta = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DriftError(f"{what}: metadata is not valid JSON ({exc})") from None
    if not isinstance(meta, dict):
        raise DriftError(f"{what}: metadata must be a JSON object")
    return meta


def _check_format(meta: dict[str, Any], what: str, fmt: str) -> None:
    if meta.get("format") != fmt:
        raise DriftError(f"{what}: field 'format' is {meta.get('format')!r}, expected {fmt!r}")
    if meta.get("version") != 1:
        raise DriftError(f"{what}: field 'version' is {meta.get('version')!r}, expected 1")
