"""A column of texts kept as UTF-8 bytes in one buffer, not as a Python string per row.

``RunningChain.extend`` hands a server the prediction texts, record hashes, chain links and
event times of a micro-batch as ``TextColumn``s: the online log writes them as JSON arrays
straight from the buffers (``json``), and a response takes Python strings only for the rows it
returns (``column[start:end]``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from itertools import pairwise
from typing import overload

import numpy as np

SMALL = 64  # rows below which a column of strings is written by json, not from buffers


def _dumps(texts: list[str]) -> bytes:
    return json.dumps(texts, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class TextColumn(Sequence[str]):
    """Texts: row ``i`` is ``data[offsets[i]:offsets[i + 1]]`` (UTF-8). Read-only. ``plain``:
    whether no text holds a byte JSON escapes (None: not known, found when needed). A column
    made ``of`` Python strings keeps them (a micro-batch of a few rows never needs buffers)."""

    __slots__ = ("_data", "_offsets", "_parts", "_pieces", "_texts", "plain")

    def __init__(self, data: np.ndarray, offsets: np.ndarray, plain: bool | None = None) -> None:
        self._data: np.ndarray | None = data
        self._offsets: np.ndarray | None = offsets
        self._texts: list[str] | None = None  # or Python strings / chunks, made into buffers
        self._parts: list[tuple[np.ndarray, np.ndarray]] | None = None  # when first asked
        self._pieces: list[memoryview] | None = None  # the JSON array's elements, if written
        self.plain = plain

    @classmethod
    def _lazy(cls) -> TextColumn:
        column = cls.__new__(cls)
        column._data = column._offsets = column._texts = column._parts = column._pieces = None
        column.plain = None
        return column

    @classmethod
    def of(cls, texts: Sequence[str]) -> TextColumn:
        column = cls._lazy()
        column._texts = list(texts)
        return column

    @classmethod
    def fixed(
        cls,
        data: np.ndarray,
        width: int,
        plain: bool | None = None,
        pieces: list[memoryview] | None = None,
    ) -> TextColumn:
        """Texts of ``width`` bytes each, one after the other (e.g. hex hashes); ``pieces``:
        their JSON array elements already written, as for ``concat``."""
        rows = data.size // width
        offsets = np.arange(0, width * (rows + 1), width, dtype=np.int64)
        column = cls(data[: rows * width], offsets, plain)
        column._pieces = pieces
        return column

    @classmethod
    def concat(
        cls,
        parts: Sequence[tuple[np.ndarray, np.ndarray]],
        pieces: list[memoryview] | None = None,
    ) -> TextColumn:
        """One column of the (data, offsets) parts, in order (joined when first read);
        ``pieces``: the JSON array's elements already written (as chunks are hashed), one run
        of consecutive rows each, without brackets."""
        column = cls._lazy()
        column._parts, column._pieces = list(parts), pieces
        return column

    @property
    def data(self) -> np.ndarray:
        if self._data is None:
            self._buffers()
        assert self._data is not None
        return self._data

    @property
    def offsets(self) -> np.ndarray:
        if self._offsets is None:
            self._buffers()
        assert self._offsets is not None
        return self._offsets

    def _buffers(self) -> None:
        if self._parts is not None:
            self._data, self._offsets = _joined(self._parts)
            return
        assert self._texts is not None
        encoded = [t.encode("utf-8") for t in self._texts]
        offsets = np.zeros(len(encoded) + 1, np.int64)
        np.cumsum(np.fromiter(map(len, encoded), np.int64, len(encoded)), out=offsets[1:])
        self._data, self._offsets = np.frombuffer(b"".join(encoded), np.uint8), offsets

    def __len__(self) -> int:
        if self._texts is not None:
            return len(self._texts)
        if self._offsets is None and self._parts is not None:
            return sum(offsets.size - 1 for _, offsets in self._parts)
        return self.offsets.size - 1

    @overload
    def __getitem__(self, index: int) -> str: ...

    @overload
    def __getitem__(self, index: slice) -> list[str]: ...

    def __getitem__(self, index: int | slice) -> str | list[str]:
        if self._texts is not None:
            return self._texts[index]
        if isinstance(index, slice):
            lo, hi, step = index.indices(len(self))
            if step != 1:
                return self.tolist()[index]
            return self._rows(lo, max(lo, hi))
        row = range(len(self))[index]
        return self.data[self.offsets[row] : self.offsets[row + 1]].tobytes().decode("utf-8")

    def __iter__(self) -> Iterator[str]:
        return iter(self.tolist())

    def tolist(self) -> list[str]:
        return list(self._texts) if self._texts is not None else self._rows(0, len(self))

    def _rows(self, lo: int, hi: int) -> list[str]:
        """Rows lo..hi as strings: ASCII ones sliced from one decoded string."""
        a, b = int(self.offsets[lo]), int(self.offsets[hi])
        raw = self.data[a:b].tobytes()
        bounds = (self.offsets[lo : hi + 1] - a).tolist()
        if raw.isascii():
            text = raw.decode("ascii")
            return [text[i:j] for i, j in pairwise(bounds)]
        return [raw[i:j].decode("utf-8") for i, j in pairwise(bounds)]

    def json_pieces(self) -> list[bytes | memoryview]:
        """``json()`` in pieces that join to it (for one ``writev``, no copy)."""
        if not self._pieces:
            return [self.json()]
        out: list[bytes | memoryview] = [b"["]
        for piece in self._pieces:
            out += [piece, b","]
        out[-1] = b"]"
        return out

    def json(self) -> bytes | memoryview:
        """The JSON array of the texts, compact, as ``json.dumps(..., ensure_ascii=False)`` and
        msgspec write it (by the compiled loop when the native engine is loaded)."""
        from glassbox.audit import _engine

        if self._pieces:
            return b"".join(self.json_pieces())
        if self._texts is not None and len(self._texts) < SMALL:
            return _dumps(self._texts)
        width = self._width()
        if width and self._plain():  # e.g. hex hashes: framed by numpy
            return _framed(self.data[self.offsets[0] : self.offsets[-1]], width, 1)
        if _engine.loaded():
            return json_array(self.data, self.offsets)
        return _dumps(self.tolist())

    def _width(self) -> int:
        """The one length (in bytes, > 0) of every text, or 0."""
        if len(self) == 0:
            return 0
        first = int(self.offsets[1] - self.offsets[0])
        steps = np.diff(self.offsets)
        return first if first and bool((steps == first).all()) else 0

    def _plain(self) -> bool:
        if self.plain is None:
            data = self.data[self.offsets[0] : self.offsets[-1]]
            self.plain = not bool(((data < 32) | (data == 34) | (data == 92)).any())
        return self.plain


def framed(data: np.ndarray, width: int) -> memoryview:
    """The JSON array elements (no brackets) of texts of ``width`` bytes each, one after the
    other, none needing an escape (e.g. hex hashes): ``"a","b"``, framed by numpy."""
    return _framed(data, width, 0)


def _framed(data: np.ndarray, width: int, bracket: int) -> memoryview:
    """``framed``, within ``[`` and ``]`` when ``bracket`` is 1."""
    rows = data.size // width
    if rows == 0:
        return memoryview(b"[]" if bracket else b"")
    out = np.empty(bracket + rows * (width + 3), np.uint8)
    cells = out[bracket:].reshape(rows, width + 3)
    cells[:, 0] = cells[:, -2] = ord('"')
    cells[:, -1] = ord(",")
    cells[:, 1:-2] = data[: rows * width].reshape(rows, width)
    if bracket:
        out[0], out[-1] = ord("["), ord("]")  # the last comma becomes the bracket
        return out.data
    return out.data[:-1]


def json_array(data: np.ndarray, offsets: np.ndarray) -> memoryview:
    """The JSON array of the texts in ``data`` at ``offsets``, by the compiled loop."""
    from glassbox.audit._kernels import json_strings

    out = np.empty(6 * int(offsets[-1] - offsets[0]) + 3 * (offsets.size - 1) + 2, np.uint8)
    return out.data[: json_strings(data, offsets, out)]


def _joined(parts: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """One buffer and its offsets of the (data, offsets) parts."""
    if len(parts) == 1:
        data, offsets = parts[0]
        return data[offsets[0] : offsets[-1]], offsets - offsets[0]
    datas = [data[offsets[0] : offsets[-1]] for data, offsets in parts]
    bases = np.cumsum([0, *(d.size for d in datas)])
    joined = [np.zeros(1, np.int64)]
    joined += [o[1:] - o[0] + base for (_, o), base in zip(parts, bases[:-1], strict=True)]
    data = np.concatenate(datas) if datas else np.zeros(0, np.uint8)
    return data, np.concatenate(joined)
