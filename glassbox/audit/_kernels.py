"""Compiled loops of the native audit engine: rows from templates, SHA-256, the chain.

Text cells live in ``uint8`` buffers addressed by ``starts``/``ends`` (rows x columns); a
*template* is a sequence of codes naming what a row's bytes are made of: ``>= 0`` a column,
``-1 - k`` literal ``k``, and the chain's PREV (the previous link) and SEQ (the row's seq).
The SHA-256 functions (OpenSSL's, see ``_crypto``) are passed in as arguments, so the
compiled code holds no process address and is cached on disk.
"""

from __future__ import annotations

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic

from glassbox.audit._numtext import uint

PREV = -(10**9)
SEQ = PREV - 1
_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8).copy()
_SHORT = np.zeros(32, np.uint8)  # the control characters JSON escapes with one letter
_SHORT[[8, 9, 10, 12, 13]] = np.frombuffer(b"btnfr", np.uint8)


@intrinsic
def _copy8(typingctx, dst, at, src_address):
    """``dst[at:at + 8] = `` the 8 bytes at ``src_address``: one unaligned load and store."""
    sig = types.void(dst, at, src_address)

    def codegen(context, builder, signature, args):
        word = ir.IntType(64).as_pointer()
        array = context.make_array(signature.args[0])(context, builder, args[0])
        target = builder.bitcast(builder.gep(array.data, [args[1]]), word)
        source = builder.inttoptr(args[2], word)
        builder.store(builder.load(source, align=1), target, align=1)
        return context.get_dummy_value()

    return sig, codegen


@njit(nogil=True, cache=True, inline="always")
def _row(plan, row, link, out, pos):
    """Write one row's bytes into ``out`` from ``pos``; returns its length. ``link`` =
    (previous link as hex, seq) for the chain's PREV and SEQ pieces.

    ``plan`` = (template, words, bases, where, starts, ends, lits): each piece is copied as
    ``words[p]`` 8-byte words (its longest text, rounded up), so the copy is branch-free; the
    bytes past a piece's end are overwritten by the next piece, and every buffer is padded."""
    template, words, bases, where, starts, ends, lits = plan
    prev, seq = link
    first = pos
    for p in range(template.size):
        code = template[p]
        if code == PREV:
            for j in range(64):
                out[pos + j] = prev[j]
            pos += 64
            continue
        if code == SEQ:
            pos = uint(out, pos, seq)
            continue
        if code >= 0:
            a = bases[where[code]] + starts[row, code]
            n = ends[row, code] - starts[row, code]
        else:
            a = bases[0] + lits[-1 - code, 0]
            n = lits[-1 - code, 1] - lits[-1 - code, 0]
        for k in range(words[p]):
            _copy8(out, pos + 8 * k, a + 8 * k)  # type: ignore[call-arg]
        pos += n
    return pos - first


@njit(nogil=True, cache=True, inline="always")
def _sha(hasher, data, n, digest):
    """SHA-256 of ``data[:n]``, or HMAC-SHA256 from the key's precomputed inner/outer states;
    ``hasher`` = (functions, context, inner state, outer state)."""
    fns, ctx, ikey, okey = hasher
    init, update, final = fns
    if ikey.size == 0:
        init(ctx.ctypes.data)
        update(ctx.ctypes.data, data.ctypes.data, n)
        final(digest.ctypes.data, ctx.ctypes.data)
        return
    ctx[:] = ikey
    update(ctx.ctypes.data, data.ctypes.data, n)
    final(digest.ctypes.data, ctx.ctypes.data)
    ctx[:] = okey
    update(ctx.ctypes.data, digest.ctypes.data, 32)
    final(digest.ctypes.data, ctx.ctypes.data)


@njit(nogil=True, cache=True, inline="always")
def _hex(digest, out, at):
    for j in range(32):
        out[at + 2 * j] = _HEX[digest[j] >> 4]
        out[at + 2 * j + 1] = _HEX[digest[j] & 15]


@njit(nogil=True, cache=True)
def hash_rows(plan, hasher, scratch, out):
    """Hex SHA-256 (or HMAC) of each row's bytes, 64 bytes per row into ``out``."""
    digest = np.empty(32, np.uint8)
    link = (np.empty(0, np.uint8), 0)
    for row in range(plan[4].shape[0]):
        n = _row(plan, row, link, scratch, 0)
        _sha(hasher, scratch, n, digest)
        _hex(digest, out, 64 * row)


@njit(nogil=True, cache=True)
def chain_rows(plan, hasher, scratch, start, out):
    """The chain: row i hashes its bytes with PREV = the hex hash of row i - 1 and SEQ =
    seq0 + i, ``start`` = (hex hash before the first row, seq0); hex hashes into ``out``,
    the last one also into ``start[0]``."""
    prev, seq0 = start
    digest = np.empty(32, np.uint8)
    for row in range(plan[4].shape[0]):
        n = _row(plan, row, (prev, seq0 + row), scratch, 0)
        _sha(hasher, scratch, n, digest)
        _hex(digest, prev, 0)
        for j in range(64):
            out[64 * row + j] = prev[j]


@njit(nogil=True, cache=True)
def row_lengths(plan, seq_digits):
    """Byte length of every row (SEQ counted as ``seq_digits``)."""
    template, _, _, _, starts, ends, lits = plan
    fixed = 0
    for code in template:
        if code == PREV:
            fixed += 64
        elif code == SEQ:
            fixed += seq_digits
        elif code < 0:
            fixed += lits[-1 - code, 1] - lits[-1 - code, 0]
    out = np.empty(starts.shape[0], np.int64)
    for row in range(starts.shape[0]):
        n = fixed
        for code in template:
            if code >= 0:
                n += ends[row, code] - starts[row, code]
        out[row] = n
    return out


@njit(nogil=True, cache=True)
def assemble(plan, offsets, out):
    """Each row's bytes at ``offsets`` in ``out`` (texts, no hash); ``out`` is padded."""
    link = (np.empty(0, np.uint8), 0)
    for row in range(plan[4].shape[0]):
        _row(plan, row, link, out, offsets[row])


@njit(nogil=True, cache=True)
def hmac_states(fns, key, ikey, okey):
    """SHA-256 states after absorbing key^ipad and key^opad (key already <= 64 bytes)."""
    init, update, _ = fns
    block = np.zeros(64, np.uint8)
    block[: key.size] = key
    inner = block ^ np.uint8(0x36)
    outer = block ^ np.uint8(0x5C)
    init(ikey.ctypes.data)
    update(ikey.ctypes.data, inner.ctypes.data, 64)
    init(okey.ctypes.data)
    update(okey.ctypes.data, outer.ctypes.data, 64)


@njit(nogil=True, cache=True)
def json_strings(data, offsets, out):
    """The JSON array of the UTF-8 texts ``data[offsets[i]:offsets[i + 1]]``, as Python's
    ``json`` (``ensure_ascii=False``) and msgspec write it: ``"`` and ``\\`` escaped, control
    characters as ``\\b \\t \\n \\f \\r`` or ``\\u00xx``, every other byte as it is. ``out``
    holds at least ``6 * data.size + 3 * rows + 2`` bytes; returns the length written."""
    pos = 0
    out[pos] = 91  # [
    pos += 1
    for row in range(offsets.size - 1):
        if row:
            out[pos] = 44  # ,
            pos += 1
        out[pos] = 34
        pos += 1
        for i in range(offsets[row], offsets[row + 1]):
            b = data[i]
            if b >= 32 and b != 34 and b != 92:  # noqa: PLR1714  (compiled: no set)
                out[pos] = b
                pos += 1
                continue
            out[pos] = 92
            short = _SHORT[b] if b < 32 else b
            if short:
                out[pos + 1] = short
                pos += 2
                continue
            out[pos + 1], out[pos + 2], out[pos + 3] = 117, 48, 48  # u00xx
            out[pos + 4], out[pos + 5] = _HEX[b >> 4], _HEX[b & 15]
            pos += 6
        out[pos] = 34
        pos += 1
    out[pos] = 93  # ]
    return pos + 1
