"""Compiled loops that write numbers and timestamps exactly as the reference encoder does.

Floats: the integer text when integral (so ``-0.0`` is ``0``), else ``repr``: the fewest
significant digits that read back as the same float64, the closest to it when several do
(ties to even, as CPython's dtoa). Found with exact 64/128-bit integer arithmetic, no floating
rounding involved in the decision. A cell the loops decline (|x| < 1e-10, integers beyond
int64, a power-of-two mantissa) is marked ``todo`` and written by the reference encoder.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

_INT_LIMIT = 9.2e18  # |integral float| below this fits an int64 exactly
_NULL = (110, 117, 108, 108)
_POS_INF = (123, 34, 36, 102, 108, 111, 97, 116, 34, 58, 34, 105, 110, 102, 34, 125)
_NEG_INF = (123, 34, 36, 102, 108, 111, 97, 116, 34, 58, 34, 45, 105, 110, 102, 34, 125)
_TS_OPEN = (123, 34, 36, 116, 105, 109, 101, 115, 116, 97, 109, 112, 34, 58, 34)  # {"$timestamp":"
_TS_CLOSE = (34, 125)  # "}
_UTC = (43, 48, 48, 58, 48, 48)  # +00:00
_U = np.uint64
_M32 = np.uint64(0xFFFFFFFF)
_POW5 = np.array([5**k for k in range(28)], dtype=np.uint64)  # all below 2^64
_POW10 = np.array([10**k for k in range(19)], dtype=np.int64)
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


@njit(nogil=True, cache=True)
def _mask(t):
    return (_U(1) << _U(t)) - _U(1)


@njit(nogil=True, cache=True)
def _split(m2, five, t):
    """q = floor(m2 5^k / 2^t) for 0 < t < 128, the remainder as (hi, lo) 64-bit words, and
    whether q fits 64 bits."""
    a0, a1, b0, b1 = m2 & _M32, m2 >> _U(32), five & _M32, five >> _U(32)
    p0, p1, p2, p3 = a0 * b0, a0 * b1, a1 * b0, a1 * b1
    mid = (p0 >> _U(32)) + (p1 & _M32) + (p2 & _M32)
    lo = (p0 & _M32) | (mid << _U(32))
    hi = p3 + (p1 >> _U(32)) + (p2 >> _U(32)) + (mid >> _U(32))
    if t < 64:
        q = (lo >> _U(t)) | (hi << _U(64 - t))
        return q, _U(0), lo & _mask(t), (hi >> _U(t)) == _U(0)
    if t == 64:
        return hi, _U(0), lo, True
    return hi >> _U(t - 64), hi & _mask(t - 64), lo, True


@njit(nogil=True, cache=True)
def _interval(m2, e2, k):
    """Integers m with m 10^-k inside the round-trip interval of x = m2 2^e2 (odd m2: ends
    excluded, round-half-even on reading): (ok, low, high); not ok when 64 bits do not hold
    the numbers. The interval (x - ulp/2, x + ulp/2) is scaled by 10^k, in units of
    2^-(t+2)."""
    t = -(e2 + k)
    if k < 1:  # an integer cannot read back as a non-integral x (its ulp is below 1)
        return True, np.int64(0), np.int64(-1)
    if k > 27 or t > 120:
        return False, np.int64(0), np.int64(-1)
    five = _POW5[k]
    if t < 1:  # x 10^k is an integer: the closest candidate is x itself
        exact = np.int64(m2) * np.int64(five) << np.int64(-t)
        return k < 8 and -t < 4, exact, exact
    lq, lhi, llo, lok = _split(_U(4 * m2 - 2), five, t + 2)
    uq, uhi, ulo, uok = _split(_U(4 * m2 + 2), five, t + 2)
    even = m2 % 2 == 0
    inexact_low, exact_high = (lhi | llo) != _U(0), (uhi | ulo) == _U(0)
    low = np.int64(lq) + (1 if (inexact_low or not even) else 0)
    high = np.int64(uq) - (1 if (exact_high and not even) else 0)
    return lok and uok and uq < _U(2**62), low, high


@njit(nogil=True, cache=True)
def _bounds(m2, e2, k):
    """(ok, low, high, nearest): ``_interval`` and the integer nearest to x 10^k (ties to the
    even one, as dtoa's)."""
    ok, low, high = _interval(m2, e2, k)
    t = -(e2 + k)
    if not ok or k < 1 or t < 1:
        return ok, low, high, low
    q, rest_hi, rest_lo, _ = _split(_U(m2), _POW5[k], t)
    half_hi = _U(1) << _U(t - 65) if t > 64 else _U(0)
    half_lo = _U(1) << _U(t - 1) if t <= 64 else _U(0)
    above = rest_hi > half_hi or (rest_hi == half_hi and rest_lo > half_lo)
    near = np.int64(q) + (1 if above else 0)
    if rest_hi == half_hi and rest_lo == half_lo and q % _U(2) == _U(1):
        near += 1
    return ok, low, high, near


@njit(nogil=True, cache=True)
def _probe(m2, e2, k):
    """1 if some m 10^-k reads back as x, 0 if none, -1 beyond 64 bits."""
    ok, low, high = _interval(m2, e2, k)
    if not ok:
        return -1
    return 1 if low <= high else 0


@njit(nogil=True, cache=True)
def _shortest_length(m2, e2, e10):
    """The fewest significant digits (1..17) that read back as x, or -1 beyond 64 bits.
    16, 17 and 15 are probed first (random data), then a binary search."""
    p16, p15 = _probe(m2, e2, 15 - e10), _probe(m2, e2, 14 - e10)
    if p16 < 0 or p15 < 0:
        return -1
    if p16 == 0:
        return 17
    if p15 == 0:
        return 16
    lo, hi = 1, 15
    while lo < hi:
        mid = (lo + hi) // 2
        found = _probe(m2, e2, mid - 1 - e10)
        if found < 0:
            return -1
        lo, hi = (lo, mid) if found else (mid + 1, hi)
    return lo


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


@njit(nogil=True, cache=True, inline="always")
def _write_digits(buf, pos, m, length, k):
    """m (``length`` digits) times 10^-k as ``repr`` writes it: d.ddde-XX below 1e-4 (k >=
    length + 4), else positional."""
    if k >= length + 4:
        end = uint(buf, pos + 1, m)
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
    pos = uint(buf, pos, m // _POW10[k])
    buf[pos] = 46
    return _padded(buf, pos + 1, m % _POW10[k], k)


@njit(nogil=True, cache=True)
def _digits(a):
    """(length, k, m) with m 10^-k the shortest text that reads back as the non-integral
    1e-10 <= a < 1e16 (m has ``length`` digits), the closest to a of those; length -1 when
    64 bits cannot hold the numbers or the mantissa is a power of two (uneven interval)."""
    mant, e = math.frexp(a)
    m2 = np.int64(mant * 9007199254740992.0)  # 2^53: exact
    e10 = np.int64(math.floor(math.log10(a)))
    length = _shortest_length(m2, e - 53, e10)
    if m2 == np.int64(4503599627370496) or length < 0:
        return -1, 0, np.int64(0)
    k = length - 1 - e10
    ok, low, high, near = _bounds(m2, e - 53, k)
    m = near if low <= near <= high else (low if near < low else high)
    lowest = _POW10[length - 1]
    if not ok or m < lowest or m >= lowest * 10 or m % 10 == 0:
        return -1, 0, np.int64(0)
    return length, k, m


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
