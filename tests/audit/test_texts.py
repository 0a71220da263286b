"""TextColumn: texts kept in one UTF-8 buffer read back as the strings they were, and write
the JSON array Python's json (and msgspec, which the online log uses) writes for them."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from glassbox.audit import TextColumn, _engine, warm_up

EVERY_CHARACTER = "".join(chr(c) for c in range(0x110000) if not 0xD800 <= c < 0xE000)


def reference_json(texts: list[str]) -> bytes:
    return json.dumps(texts, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


@pytest.fixture(params=["native", "python"])
def native(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> bool:
    """json() through the compiled loop, or (native engine off) through json.dumps."""
    if request.param == "native":
        assert warm_up().native == "ready"
    else:
        monkeypatch.setattr(_engine, "loaded", lambda: False)
    return request.param == "native"


def test_every_unicode_character_is_written_as_json_writes_it(native: bool) -> None:
    texts = [EVERY_CHARACTER[i : i + 997] for i in range(0, len(EVERY_CHARACTER), 997)]
    column = TextColumn.of(["", *texts, ""])
    assert bytes(column.json()) == reference_json(["", *texts, ""])
    assert column.tolist() == ["", *texts, ""]


@settings(max_examples=200, deadline=None)
@given(texts=st.lists(st.text(max_size=12), max_size=12))
def test_any_texts_round_trip_and_write_json_like_json_dumps(texts: list[str]) -> None:
    warm_up()
    column = TextColumn.of(texts)
    assert bytes(column.json()) == reference_json(texts)
    assert column.tolist() == texts
    assert len(column) == len(texts)
    for lo, hi in ((0, len(texts)), (1, 3), (len(texts) // 2, len(texts)), (5, 2)):
        assert column[lo:hi] == texts[lo:hi]
    assert column[::2] == texts[::2]
    if texts:
        assert column[-1] == texts[-1]
        assert column[0] == texts[0]


def test_fixed_width_texts_frame_like_json(native: bool) -> None:
    hexes = np.frombuffer(b"0123456789abcdef" * 12, np.uint8).copy()
    column = TextColumn.fixed(hexes, 64, plain=True)
    assert bytes(column.json()) == reference_json(["0123456789abcdef" * 4] * 3)
    quoted = TextColumn.fixed(np.frombuffer(b'a"\\b\nc"\\d\te', np.uint8), 5)
    assert quoted.tolist() == ['a"\\b\n', 'c"\\d\t']
    assert bytes(quoted.json()) == reference_json(['a"\\b\n', 'c"\\d\t'])
    assert bytes(TextColumn.of([]).json()) == b"[]"


def test_concatenated_chunks_read_as_one_column() -> None:
    parts = [["a", "bé", ""], ["x" * 70], [], ["€", '"q"']]
    chunks = []
    for texts in parts:
        col = TextColumn.of(texts)
        pad = np.concatenate([col.data, np.zeros(64, np.uint8)])  # buffers are padded
        chunks.append((pad, col.offsets))
    assert TextColumn.concat(chunks).tolist() == [t for texts in parts for t in texts]
    single = TextColumn.concat(chunks[:1])
    assert single.tolist() == parts[0] and single.data.size == len("abé".encode())


def test_an_index_out_of_range_raises() -> None:
    with pytest.raises(IndexError, match="out of range"):
        TextColumn.of(["a"])[1]
