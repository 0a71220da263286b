"""Compiled loops that write numbers and timestamps exactly as the reference encoder does.

Floats: the integer text when integral (so ``-0.0`` is ``0``), else ``repr``: the fewest
significant digits that read back as the same float64, the closest to it when several do
(ties to even, as CPython's dtoa). Found with exact 64/128-bit integer arithmetic, no floating
rounding involved in the decision. A cell the loops decline (|x| < 1e-10, integers beyond
int64) is marked ``todo`` and written by the reference encoder.
"""

from __future__ import annotations

import math

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic

_INT_LIMIT = 9.2e18  # |integral float| below this fits an int64 exactly
_NULL = (110, 117, 108, 108)
_POS_INF = (123, 34, 36, 102, 108, 111, 97, 116, 34, 58, 34, 105, 110, 102, 34, 125)
_NEG_INF = (123, 34, 36, 102, 108, 111, 97, 116, 34, 58, 34, 45, 105, 110, 102, 34, 125)
_TS_OPEN = (123, 34, 36, 116, 105, 109, 101, 115, 116, 97, 109, 112, 34, 58, 34)  # {"$timestamp":"
_TS_CLOSE = (34, 125)  # "}
_UTC = (43, 48, 48, 58, 48, 48)  # +00:00
_U = np.uint64
_TEN = np.uint64(10)
_LOW, _TOP = np.uint64(10**16), np.uint64(10**17)  # a 10^k of a 17-digit scaling
_POW5 = np.array([5**k for k in range(28)], dtype=np.uint64)  # all below 2^64
_PAIRS = np.frombuffer("".join(f"{i:02d}" for i in range(100)).encode(), np.uint8).copy()


@njit(nogil=True, cache=True, inline="always")
def put(buf, pos, chars):
    for c in chars:
        buf[pos] = c
        pos += 1
    return pos


@njit(nogil=True, cache=True, inline="always")
def uint(buf, pos, v):
    """Decimal digits of ``v >= 0``; returns the position after them."""
    n, t = 1, v // 10
    while t > 0:
        t //= 10
        n += 1
    return _padded(buf, pos, v, n)


@njit(nogil=True, cache=True, inline="always")
def _padded(buf, pos, v, width):
    """``v >= 0`` in exactly ``width`` digits, zero-padded on the left (two at a time)."""
    u = _U(v)
    p = pos + width
    while p - pos >= 2:
        pair = 2 * (u % _U(100))
        u //= _U(100)
        buf[p - 2], buf[p - 1] = _PAIRS[pair], _PAIRS[pair + _U(1)]
        p -= 2
    if p > pos:
        buf[pos] = 48 + u % _U(10)
    return pos + width


@njit(nogil=True, cache=True, inline="always")
def _short_float(buf, pos, x, a):
    """``repr(x)`` when it has at most 6 fraction digits (non-integral 1e-4 <= |x| < 1e9),
    else -1: m = rint(|x| 10^k) with m / 10^k == |x| (exact operands, correctly rounded
    division) reads back as x; the smallest k is the shortest form and, below 16 significant
    digits, the only one of its length."""
    p = 1.0
    q = np.int64(1)
    for k in range(1, 7):
        p *= 10.0
        q *= 10
        m = np.rint(a * p)
        if m / p == a:
            mi = np.int64(m)
            if x < 0:
                buf[pos] = 45
                pos += 1
            pos = uint(buf, pos, mi // q)
            buf[pos] = 46
            return _padded(buf, pos + 1, mi % q, k)
    return -1


@intrinsic
def _scale(typingctx, m, five, t):
    """floor(m 5^k / 2^t) of ``m`` < 2^64, ``five`` = 5^k < 2^64, 0 < t < 128, in 128-bit
    integers: (q as uint64, whether q fits 64 bits, whether the division is exact, sign of
    the remainder minus 2^(t-1))."""
    sig = types.Tuple((types.uint64, types.boolean, types.boolean, types.int64))(
        types.uint64, types.uint64, types.int64
    )

    def codegen(context, builder, signature, args):
        i128, i64 = ir.IntType(128), ir.IntType(64)
        product = builder.mul(builder.zext(args[0], i128), builder.zext(args[1], i128))
        shift = builder.sext(args[2], i128)
        one, zero = ir.Constant(i128, 1), ir.Constant(i128, 0)
        q = builder.lshr(product, shift)
        rest = builder.and_(product, builder.sub(builder.shl(one, shift), one))
        half = builder.shl(one, builder.sub(shift, one))
        fits = builder.icmp_unsigned("==", builder.lshr(q, ir.Constant(i128, 64)), zero)
        exact = builder.icmp_unsigned("==", rest, zero)
        above = builder.zext(builder.icmp_unsigned(">", rest, half), i64)
        under = builder.zext(builder.icmp_unsigned("<", rest, half), i64)
        values = [builder.trunc(q, i64), fits, exact, builder.sub(above, under)]
        return context.make_tuple(builder, signature.return_type, values)

    return sig, codegen


@njit(nogil=True, cache=True)
def _digits(a):
    """(length, k, m): m 10^-k is ``repr``'s text of the non-integral 1e-10 <= a < 1e16, m
    has ``length`` digits; length -1 if the numbers leave 64 bits (not seen; the caller then
    declines the cell).

    At k = 16 - floor(log10 a), a 10^k has 17 digits before the point; the float's round-trip
    interval (halfway to each neighbour, ends included when the mantissa is even, as reading
    rounds half to even) scaled by 10^k holds the integers (below, high]. The shortest text
    drops the most trailing digits d such that a multiple of 10^d lies in that interval; of
    those the closest to a 10^k, ties to even."""
    mant, e = math.frexp(a)
    m2 = np.int64(mant * 9007199254740992.0)  # 2^53: exact
    e2 = e - 53
    e10 = ((e - 1) * 78913) >> 18  # floor((e - 1) log10 2): floor(log10 a) or one less
    for _ in range(2):
        k = 16 - e10
        t = -(e2 + k)
        five = _POW5[k]
        if t == 0:  # a 10^k is an integer (a = m2 / 2 near 1e15)
            q, fits, exact, versus = _U(m2) * five, True, True, -1
        else:
            q, fits, exact, versus = _scale(_U(m2), five, t)  # type: ignore[call-arg]
        if q < _TOP:
            break
        e10 += 1
    gap = 1 if m2 == np.int64(4503599627370496) else 2  # power-of-two mantissa: lower gap half
    lq, lfits, lexact, _ = _scale(_U(4 * m2 - gap), five, t + 2)  # type: ignore[call-arg,var-annotated]
    uq, ufits, uexact, _ = _scale(_U(4 * m2 + 2), five, t + 2)
    if not (fits and lfits and ufits) or not _LOW <= q < _TOP:  # e10 off by one at most
        return -1, 0, np.int64(0)
    even = m2 % 2 == 0
    below = lq - _U(1) if lexact and even else lq
    high = uq - _U(1) if uexact and not even else uq
    if high >= _TOP:  # just below a power of ten that reads back as a: 1 digit, alone there
        return 1, k - 17, np.int64(1)
    d, last, dropped = 0, _U(0), False  # digits removed, the last one, any other nonzero
    while high // _TEN > below // _TEN:
        dropped = dropped or last != _U(0)
        last = q % _TEN
        q, high, below = q // _TEN, high // _TEN, below // _TEN
        d += 1
    if d:
        rest = dropped or not exact
        versus = 1 if last > _U(5) or (last == _U(5) and rest) else (0 if last == _U(5) else -1)
    m = q + _U(1) if versus > 0 or (versus == 0 and q % _U(2) == _U(1)) else q
    m = min(max(m, below + _U(1)), high)
    return 17 - d, k - d, np.int64(m)


@njit(nogil=True, cache=True, inline="always")
def _write_digits(buf, pos, m, length, k):
    """m (``length`` digits) times 10^-k as ``repr`` writes it: d.ddde-XX below 1e-4 (k >=
    length + 4), else positional (all digits written, the point put in after)."""
    if k >= length + 4:
        end = _padded(buf, pos + 1, m, length)
        buf[pos] = buf[pos + 1]
        if length > 1:
            buf[pos + 1] = 46
        else:
            end -= 1
        buf[end], buf[end + 1] = 101, 45
        exponent = k - length + 1
        return _padded(buf, end + 2, exponent, 2 if exponent < 100 else 3)
    if k >= length:
        buf[pos], buf[pos + 1] = 48, 46
        return _padded(buf, pos + 2, m, k)
    end = _padded(buf, pos, m, length)
    point = end - k
    for j in range(end, point, -1):
        buf[j] = buf[j - 1]
    buf[point] = 46
    return end + 1


@njit(nogil=True, cache=True, inline="always")
def _long_float(buf, pos, x, a):
    """``repr(x)`` for a non-integral 1e-10 <= |x| < 1e16, or -1 (see ``_digits``)."""
    length, k, m = _digits(a)
    if length < 0:
        return -1
    if x < 0:
        buf[pos] = 45
        pos += 1
    return _write_digits(buf, pos, m, length, k)


@njit(nogil=True, cache=True, inline="always")
def _float(buf, pos, x):
    """One float's text at ``pos``; returns the end, or -1 to leave it to the caller."""
    a = abs(x)
    if np.isnan(x):
        return put(buf, pos, _NULL)
    if np.isinf(x):
        return put(buf, pos, _POS_INF) if x > 0 else put(buf, pos, _NEG_INF)
    if a == np.floor(a):
        if a >= _INT_LIMIT:
            return -1
        v = np.int64(x)
        if v < 0:
            buf[pos] = 45
            pos += 1
        return uint(buf, pos, abs(v))
    if not 1e-10 <= a < 1e16:
        return -1
    end = _short_float(buf, pos, x, a) if 1e-4 <= a < 1e9 and _maybe_short(a) else -1
    return end if end >= 0 else _long_float(buf, pos, x, a)


@njit(nogil=True, cache=True, inline="always")
def _maybe_short(a):
    """False when |x| 10^6 is visibly not an integer: then x has more than 6 fraction digits
    and the short path cannot succeed (a speed hint only: the long path finds every form)."""
    y = a * 1e6
    return abs(y - np.rint(y)) <= y * 1e-15 + 1e-9


@njit(nogil=True, cache=True)
def float_cells(values, out, base, width):
    """Number texts of float64 cells, one ``width``-byte slot each from ``base``.
    ``out`` = (buffer, starts, ends, todo); ``todo[i]`` marks cells left to the caller."""
    buf, starts, ends, todo = out
    for i in range(values.size):
        pos = base + i * width
        starts[i] = pos
        end = _float(buf, pos, values[i])
        todo[i] = end < 0
        ends[i] = pos if end < 0 else end


@njit(nogil=True, cache=True)
def int_cells(values, out, base, width):
    """Decimal texts of int64 cells (the minimum int64 is left to the caller)."""
    buf, starts, ends, todo = out
    lowest = np.iinfo(np.int64).min
    for i in range(values.size):
        v = values[i]
        pos = base + i * width
        starts[i] = pos
        todo[i] = v == lowest
        if v != lowest:
            if v < 0:
                buf[pos] = 45
                pos += 1
            pos = uint(buf, pos, abs(v))
        ends[i] = pos


@njit(nogil=True, cache=True, inline="always")
def _iso(buf, pos, us):
    """``YYYY-MM-DDTHH:MM:SS.ffffff+00:00`` of microseconds since the epoch, or -1 outside
    years 1..9999 (civil-from-days after H. Hinnant)."""
    days = us // 86_400_000_000
    rest = us - days * 86_400_000_000
    z = days + 719468
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = mp + 3 if mp < 10 else mp - 9
    year = yoe + era * 400 + (1 if month <= 2 else 0)
    if year < 1 or year > 9999:
        return -1
    secs = rest // 1_000_000
    parts = (year, 4, 45, month, 2, 45, day, 2, 84, secs // 3600, 2, 58, secs // 60 % 60, 2, 58)
    for j in range(5):
        pos = _padded(buf, pos, parts[3 * j], parts[3 * j + 1])
        buf[pos] = parts[3 * j + 2]
        pos += 1
    pos = _padded(buf, pos, secs % 60, 2)
    buf[pos] = 46
    pos = _padded(buf, pos + 1, rest % 1_000_000, 6)
    return put(buf, pos, _UTC)


@njit(nogil=True, cache=True)
def timestamp_cells(stamps, tagged, out, base, width):
    """ISO texts of UTC microsecond timestamps, ``stamps`` = (micros, missing): bare (event
    time) or ``{"$timestamp":...}`` with ``null`` for missing cells (features)."""
    micros, missing = stamps
    buf, starts, ends, todo = out
    for i in range(micros.size):
        pos = base + i * width
        starts[i] = pos
        if missing[i]:
            pos = put(buf, pos, _NULL)
        else:
            start = put(buf, pos, _TS_OPEN) if tagged else pos
            end = _iso(buf, start, micros[i])
            todo[i] = end < 0
            if end >= 0:
                pos = put(buf, end, _TS_CLOSE) if tagged else end
        ends[i] = pos


@njit(nogil=True, cache=True)
def scatter(texts, out, width):
    """Put text ``j`` of ``texts`` = (rows, offsets, data) into the cell slot of row
    ``rows[j]``; returns -1, or the first ``j`` whose text does not fit in ``width`` bytes."""
    rows, offsets, data = texts
    buf, starts, ends, _ = out
    for j in range(rows.size):
        a, b = offsets[j], offsets[j + 1]
        if b - a > width:
            return j
        pos = starts[rows[j]]
        for k in range(b - a):
            buf[pos + k] = data[a + k]
        ends[rows[j]] = pos + b - a
    return -1
