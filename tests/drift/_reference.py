"""Straightforward reference implementations (plain loops, no vectorisation) to test against."""

from __future__ import annotations

import math
from collections.abc import Sequence

EPSILON = 1e-4


def bin_index(value: float, edges: Sequence[float]) -> int:
    """Bin of ``value`` for bins [edges[i], edges[i+1]) with edges[0] = -inf, edges[-1] = +inf."""
    for i in range(len(edges) - 1):
        if edges[i] <= value < edges[i + 1]:
            return i
    raise ValueError(value)


def histogram(values: Sequence[float], edges: Sequence[float]) -> list[int]:
    counts = [0] * (len(edges) - 1)
    for value in values:
        if not math.isnan(value):
            counts[bin_index(value, edges)] += 1
    return counts


def smoothed(counts: Sequence[int]) -> list[float]:
    total = sum(counts)
    shares = [c / total if c > 0 else EPSILON for c in counts]
    norm = sum(shares)
    return [s / norm for s in shares]


def psi(reference: Sequence[int], current: Sequence[int]) -> float:
    p, q = smoothed(reference), smoothed(current)
    return sum((qi - pi) * math.log(qi / pi) for pi, qi in zip(p, q, strict=True))


def kl(reference: Sequence[int], current: Sequence[int]) -> float:
    p, q = smoothed(reference), smoothed(current)
    return sum(qi * math.log(qi / pi) for pi, qi in zip(p, q, strict=True))


def js_distance(reference: Sequence[int], current: Sequence[int]) -> float:
    p = [c / sum(reference) for c in reference]
    q = [c / sum(current) for c in current]
    total = 0.0
    for pi, qi in zip(p, q, strict=True):
        mi = (pi + qi) / 2
        if pi > 0:
            total += 0.5 * pi * math.log2(pi / mi)
        if qi > 0:
            total += 0.5 * qi * math.log2(qi / mi)
    return math.sqrt(max(total, 0.0))


def chi2(reference: Sequence[int], current: Sequence[int]) -> tuple[float, int]:
    columns = [(r, c) for r, c in zip(reference, current, strict=True) if r + c > 0]
    n_ref, n_cur = sum(r for r, _ in columns), sum(c for _, c in columns)
    total = n_ref + n_cur
    statistic = 0.0
    for r, c in columns:
        for observed, row_total in ((r, n_ref), (c, n_cur)):
            expected = row_total * (r + c) / total
            statistic += (observed - expected) ** 2 / expected
    return statistic, len(columns) - 1


def ks(reference: Sequence[float], current: Sequence[float]) -> float:
    """sup |F_ref - F_cur| by brute force over every observed value."""
    best = 0.0
    for x in set(reference) | set(current):
        f_ref = sum(v <= x for v in reference) / len(reference)
        f_cur = sum(v <= x for v in current) / len(current)
        best = max(best, abs(f_ref - f_cur))
    return best


def category_counts(
    values: Sequence[object], categories: Sequence[object]
) -> tuple[list[int], int]:
    """Counts per category and the number of non-missing values outside ``categories``."""
    counts = dict.fromkeys(categories, 0)
    unseen = 0
    for value in values:
        if value is None or (isinstance(value, float) and math.isnan(value)):
            continue
        if value in counts:
            counts[value] += 1
        else:
            unseen += 1
    return [counts[c] for c in categories], unseen
