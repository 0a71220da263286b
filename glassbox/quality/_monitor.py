"""Data-quality findings for a production window compared with the reference (never raises on
data problems: every problem becomes a graded finding)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from glassbox.errors import ConfigError
from glassbox.quality._baseline import (
    ColumnBaseline,
    QualityBaseline,
    beyond_range_share,
    noise_limit,
)
from glassbox.quality._findings import (
    ALL_NAN_COLUMN,
    DUPLICATE_IDS,
    EMPTY_WINDOW,
    MISSING_VALUES,
    OUT_OF_RANGE,
    OUTLIERS,
    SCHEMA,
    UNSEEN_CATEGORIES,
    Detail,
    QualityFinding,
    graded,
    pct,
)
from glassbox.quality._thresholds import ColumnThresholds, QualityThresholds
from glassbox.quality._values import (
    Coerced,
    Factorized,
    coerce,
    column_at,
    first_row,
    repeated_names,
    shown,
)
from glassbox.quality._values import unseen as unseen_rows

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from glassbox.quality._contract import ColumnContract, DataContract


@dataclass(frozen=True)
class _Grading:
    """What the value checks of one column compare with: the reference's own counts and the
    per-column level of each check (its false-alarm rate split over the columns it tests)."""

    column: ColumnBaseline | None
    levels: dict[str, float]


def _levels(contract: DataContract, baseline: QualityBaseline | None) -> dict[str, float]:
    rate = baseline.false_alarm_rate if baseline is not None else 0.01
    graded = [c for c in contract.columns.values() if c.role not in ("target", "id")]
    counts = {
        MISSING_VALUES: len(graded),
        OUT_OF_RANGE: sum(c.has_stats for c in graded),
        OUTLIERS: sum(c.has_stats for c in graded),
        UNSEEN_CATEGORIES: sum(c.categories is not None for c in graded),
    }
    return {check: rate / max(n, 1) for check, n in counts.items()}


def quality_findings(
    current: pd.DataFrame,
    contract: DataContract,
    *,
    thresholds: QualityThresholds | None = None,
    baseline: QualityBaseline | None = None,
) -> list[QualityFinding]:
    """Every data-quality check on ``current`` (one window) against ``contract``.

    Returns one finding per check and column, passing checks included (severity ``none``), so
    the caller can log every observed value and resolve alerts of earlier windows. Checks:
    empty window; schema (missing, extra and repeated columns, values of the wrong kind);
    all-NaN columns; missing-value share; out-of-range share vs the reference min/max; outlier
    share (z-score and IQR fences); unseen-category share; duplicate-id share. The target column
    is only schema-checked, and not reported missing: labels arrive after the window.
    Share checks grade the excess over the reference's own share: missing values from the
    contract, outliers and unseen categories from ``baseline`` (``QualityBaseline``), which
    also sets the false-alarm rate that the reference's noise at the window's size is held to.
    Raises only ``ConfigError``, for threshold overrides naming a column the contract lacks.
    """
    import pandas as pd

    limits = thresholds if thresholds is not None else QualityThresholds()
    unknown = sorted(set(limits.columns) - set(contract.columns))
    if unknown:
        raise ConfigError(
            f"quality thresholds: columns {unknown} are not in the data contract "
            f"(expected some of {sorted(contract.columns)})"
        )
    if not isinstance(current, pd.DataFrame):
        raise TypeError(f"expected a pandas DataFrame, got {type(current).__name__}")
    rows = len(current)
    levels = _levels(contract, baseline)
    own = baseline.columns if baseline is not None else {}
    findings = [_empty_window(rows), *_unexpected_columns(current, contract)]
    for name, column in contract.columns.items():
        if name not in current.columns:
            if column.role != "target":
                findings.append(_missing_column(name, column))
            continue
        series = column_at(current, name)
        values = coerce(series, column)
        findings.append(_schema(name, series, column, values))
        if rows and column.role != "target":
            grading = _Grading(own.get(name), levels)
            findings.extend(
                _value_checks(
                    name, series, column, values, limits.for_column(name), grading=grading
                )
            )
            if column.role == "id":
                findings.append(_duplicate_ids(name, series, values, limits))
    return findings


def _empty_window(rows: int) -> QualityFinding:
    return QualityFinding(
        check=EMPTY_WINDOW,
        column=None,
        severity="critical" if rows == 0 else "none",
        observed=float(rows),
        threshold=0.0,
        message="window: empty, no rows (expected at least 1)"
        if rows == 0
        else f"window: {rows} rows",
    )


def _unexpected_columns(current: pd.DataFrame, contract: DataContract) -> Iterator[QualityFinding]:
    for name in repeated_names(current):
        count = sum(1 for col in current.columns if str(col) == name)
        yield QualityFinding(
            check=SCHEMA,
            column=name,
            severity="critical",
            observed=None,
            threshold=None,
            message=f"column {name!r}: appears {count} times (expected unique column names)",
            details={"problem": "repeated"},
        )
    for col in dict.fromkeys(current.columns):
        if col not in contract.columns:
            yield QualityFinding(
                check=SCHEMA,
                column=str(col),
                severity="warning",
                observed=None,
                threshold=None,
                message=f"column {str(col)!r}: not in the data contract (extra column)",
                details={"problem": "extra"},
            )


def _missing_column(name: str, column: ColumnContract) -> QualityFinding:
    return QualityFinding(
        check=SCHEMA,
        column=name,
        severity="critical",
        observed=None,
        threshold=None,
        message=f"column {name!r}: missing (expected a {column.role} column, {column.describe()})",
        details={"problem": "missing", "expected": column.describe()},
    )


def _schema(
    name: str, series: pd.Series, column: ColumnContract, values: Coerced
) -> QualityFinding:
    rows = len(series)
    share = float(values.bad.mean()) if rows else 0.0
    details: dict[str, str | int | float | None] = {
        "expected": column.describe(),
        "dtype": str(series.dtype),
        "bad_values": int(values.bad.sum()),
    }
    if values.type_error is not None:
        message = f"column {name!r}: expected {column.describe()}, got {values.type_error}"
    elif values.bad.any():
        row = first_row(values.bad)
        message = (
            f"column {name!r}: {pct(share)} of values are not {column.describe()} "
            f"(first bad value {shown(series.iloc[row])} at row {row})"
        )
    else:
        message = f"column {name!r}: {column.describe()} as expected"
    broken = bool(values.bad.any()) or values.type_error is not None
    details["problem"] = "dtype" if broken else None
    return QualityFinding(
        check=SCHEMA,
        column=name,
        severity="critical" if broken else "none",
        observed=share,
        threshold=0.0,
        message=message,
        details=details,
    )


def _value_checks(
    name: str,
    series: pd.Series,
    column: ColumnContract,
    values: Coerced,
    limits: ColumnThresholds,
    *,
    grading: _Grading,
) -> list[QualityFinding]:
    rows = len(series)
    missing = int(values.null.sum())
    if missing == rows:
        return [
            QualityFinding(
                check=ALL_NAN_COLUMN,
                column=name,
                severity="critical",
                observed=1.0,
                threshold=None,
                message=f"column {name!r}: every value is missing ({rows} rows)",
                details={"rows": rows},
            )
        ]
    findings = [
        QualityFinding(
            check=ALL_NAN_COLUMN,
            column=name,
            severity="none",
            observed=missing / rows,
            threshold=None,
            message=f"column {name!r}: has values",
            details={"rows": rows},
        ),
        _missing(name, missing, rows, column=column, limits=limits, grading=grading),
    ]
    if column.has_stats and values.numbers is not None and column.role != "id":
        present = values.numbers[~values.null & ~values.bad]
        if present.size:
            findings.append(_out_of_range(name, present, column, limits, grading))
            outliers = _outliers(name, present, column, limits, grading)
            if outliers is not None:
                findings.append(outliers)
    if column.categories is not None and values.factorized is not None:
        findings.append(_unseen(name, values.factorized, column.categories, limits, grading))
    return findings


def _missing(
    name: str,
    missing: int,
    rows: int,
    *,
    column: ColumnContract,
    limits: ColumnThresholds,
    grading: _Grading,
) -> QualityFinding:
    own = grading.column
    if own is not None:
        count, total = own.missing, own.rows
    else:  # the contract's share, over the rows it was inferred from
        total = max(1, rows if column.missing_share == 0 else 10_000)
        count = round(column.missing_share * total)
    return graded(
        MISSING_VALUES,
        name,
        share=missing / rows,
        limits=limits.missing_values,
        what="missing values",
        details={"missing": missing, "rows": rows},
        reference_share=count / total,
        noise=noise_limit(count, total, rows, grading.levels[MISSING_VALUES]),
    )


def _out_of_range(
    name: str,
    present: np.ndarray,
    column: ColumnContract,
    limits: ColumnThresholds,
    grading: _Grading,
) -> QualityFinding:
    import numpy as np

    low, high = column.min, column.max
    below = int((present < low).sum())
    above = int((present > high).sum())
    finite = present[np.isfinite(present)]
    own = grading.column
    values = own.values if own is not None else 0
    return graded(
        OUT_OF_RANGE,
        name,
        share=(below + above) / present.size,
        limits=limits.out_of_range,
        noise=beyond_range_share(values, int(present.size), grading.levels[OUT_OF_RANGE]),
        what=f"of values outside the reference range [{low:g}, {high:g}]",
        details={
            "below_min": below,
            "above_max": above,
            "values": int(present.size),
            "observed_min": float(finite.min()) if finite.size else None,
            "observed_max": float(finite.max()) if finite.size else None,
        },
    )


def _outliers(
    name: str,
    present: np.ndarray,
    column: ColumnContract,
    limits: ColumnThresholds,
    grading: _Grading,
) -> QualityFinding | None:
    """Share of values with |z| above the limit or beyond the outer IQR fences; ``None`` when the
    reference is constant (no spread to measure against: out-of-range covers it)."""
    import numpy as np

    rule = limits.outliers
    mean, std, q1, q3 = column.mean, column.std, column.q1, column.q3
    if mean is None or std is None or q1 is None or q3 is None:
        return None
    iqr = q3 - q1
    if std <= 0 and iqr <= 0:
        return None
    none = np.zeros(present.size, dtype=bool)
    with np.errstate(invalid="ignore", over="ignore"):
        far_z = np.abs(present - mean) / std > rule.z if std > 0 else none
        extreme = _beyond(present, q1, q3, iqr * rule.iqr_extreme) if iqr > 0 else none
        mild = _beyond(present, q1, q3, iqr * rule.iqr_mild) if iqr > 0 else none
    count = int((far_z | extreme).sum())
    details: dict[str, Detail] = {
        "outliers": count,
        "values": int(present.size),
        "z_share": float(far_z.mean()),
        "iqr_extreme_share": float(extreme.mean()),
        "iqr_mild_share": float(mild.mean()),
    }
    what = (
        f"outliers (|z| > {rule.z:g} or beyond {rule.iqr_extreme:g}x IQR fences; "
        f"{pct(float(mild.mean()))} beyond {rule.iqr_mild:g}x IQR)"
    )
    own = grading.column
    outliers, values = (own.outliers or 0, own.values) if own is not None else (0, 0)
    return graded(
        OUTLIERS,
        name,
        share=count / present.size,
        limits=rule,
        what=what,
        details=details,
        reference_share=outliers / values if values else 0.0,
        noise=noise_limit(outliers, values, int(present.size), grading.levels[OUTLIERS])
        if values
        else 0.0,
    )


def _beyond(values: np.ndarray, q1: float, q3: float, margin: float) -> np.ndarray:
    return (values < q1 - margin) | (values > q3 + margin)


def _unseen(
    name: str,
    values: Factorized,
    categories: list[str],
    limits: ColumnThresholds,
    grading: _Grading,
) -> QualityFinding:
    mask, labels = unseen_rows(values, frozenset(categories))
    present = int((values.codes >= 0).sum())
    shown_labels = ", ".join(repr(label) for label in labels[:5])
    more = f" and {len(labels) - 5} more" if len(labels) > 5 else ""
    what = "of values in categories the reference never had"
    if labels:
        what += f" ({shown_labels}{more})"
    own = grading.column
    singletons, seen = (own.singletons or 0, own.values) if own is not None else (0, 0)
    return graded(
        UNSEEN_CATEGORIES,
        name,
        share=int(mask.sum()) / present,
        limits=limits.unseen_categories,
        # Good-Turing: a same-distribution window holds new categories at about the rate of
        # categories seen once in the reference.
        reference_share=singletons / seen if seen else 0.0,
        noise=noise_limit(singletons, seen, present, grading.levels[UNSEEN_CATEGORIES])
        if seen
        else 0.0,
        what=what,
        details={"rows": int(mask.sum()), "unseen": len(labels), "values": shown_labels or None},
    )


def _duplicate_ids(
    name: str, series: pd.Series, values: Coerced, limits: QualityThresholds
) -> QualityFinding:
    repeats = series.duplicated(keep="first").to_numpy() & ~values.null
    count = int(repeats.sum())
    first = shown(series.iloc[first_row(repeats)]) if count else None
    what = "of rows repeat an earlier row's id" + (f" (first {first})" if first else "")
    return graded(
        DUPLICATE_IDS,
        name,
        share=count / len(series),
        limits=limits.duplicate_ids,
        what=what,
        details={"duplicate_rows": count, "rows": len(series), "first": first},
    )
