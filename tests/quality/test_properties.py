"""Property: a batch drawn from the reference itself passes validation and raises no warning
besides what its rows truly contain (missing values, all-missing columns, extreme values)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from glassbox.quality import DataContract, QualityFinding, quality_findings, validate_batch

NUMERIC = ["x", "y"]
MAY_HOLD_ONLY = {"missing_values", "all_nan_column", "outliers"}


@st.composite
def reference_and_batch(draw: st.DrawFn) -> tuple[pd.DataFrame, pd.DataFrame]:
    rows = draw(st.integers(min_value=2, max_value=60))
    floats = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)
    column = st.lists(floats, min_size=rows, max_size=rows)
    y = np.array(draw(column))
    y[np.array(draw(st.lists(st.booleans(), min_size=rows, max_size=rows)))] = np.nan
    labels = st.sampled_from(["a", "b", "c", "d", None])
    reference = pd.DataFrame(
        {
            "id": np.arange(rows) * 7 + 1,
            "when": pd.date_range("2024-03-01", periods=rows, freq="h").astype(str),
            "x": draw(column),
            "y": y,
            "segment": draw(st.lists(labels, min_size=rows, max_size=rows)),
            "flag": draw(st.lists(st.booleans(), min_size=rows, max_size=rows)),
        }
    )
    picked = draw(st.lists(st.integers(0, rows - 1), min_size=1, max_size=rows, unique=True))
    return reference, reference.iloc[picked].reset_index(drop=True)


def _far_values(batch: np.ndarray, reference: np.ndarray) -> int:
    """Values beyond |z| > 4 or the 3 x IQR fences, computed independently and generously."""
    ref = reference[np.isfinite(reference)]
    values = batch[~np.isnan(batch)]
    if ref.size == 0 or values.size == 0:
        return 0
    slack = 1e-6 * max(float(np.abs(ref).max()), 1.0)
    far = np.zeros(values.size, dtype=bool)
    std = float(np.std(ref, ddof=1)) if ref.size > 1 else 0.0
    if std > 0:
        far |= np.abs(values - ref.mean()) >= 4 * std - slack
    q1, q3 = np.quantile(ref, [0.25, 0.75])
    if q3 - q1 > 0:
        far |= (values <= q1 - 3 * (q3 - q1) + slack) | (values >= q3 + 3 * (q3 - q1) - slack)
    return int(far.sum())


def _justified(finding: QualityFinding, reference: pd.DataFrame, batch: pd.DataFrame) -> bool:
    assert finding.column is not None
    values = batch[finding.column]
    if finding.sub_check == "all_nan_column":
        return bool(values.isna().all())
    if finding.sub_check == "missing_values":
        return finding.observed == values.isna().mean() > 0.05
    outliers = int(finding.details["outliers"])  # type: ignore[arg-type]
    numbers = values.to_numpy(dtype=float)
    return 0 < outliers <= _far_values(numbers, reference[finding.column].to_numpy(dtype=float))


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(reference_and_batch())
def test_batch_drawn_from_the_reference_has_only_what_it_truly_contains(
    frames: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    reference, batch = frames
    contract = DataContract.infer(
        reference,
        features=["x", "y", "segment", "flag"],
        categorical=["segment", "flag"],
        id_column="id",
        timestamp_column="when",
    )
    validate_batch(batch, contract, source="sample")
    contract = DataContract.from_json(contract.to_json())
    for finding in quality_findings(batch, contract):
        if finding.is_problem:
            assert finding.sub_check in MAY_HOLD_ONLY, finding.message
            assert _justified(finding, reference, batch), finding.message


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(-1e3, 1e3), min_size=8, max_size=80))
def test_the_reference_itself_is_clean(values: list[float]) -> None:
    """Data without missing values checked against itself: only its own extremes can show."""
    reference = pd.DataFrame({"id": range(len(values)), "t": "2024-01-01", "v": values})
    contract = DataContract.infer(
        reference, features=["v"], categorical=[], id_column="id", timestamp_column="t"
    )
    validate_batch(reference, contract, source="reference")
    problems = [f for f in quality_findings(reference, contract) if f.is_problem]
    assert all(f.sub_check == "outliers" for f in problems), [f.message for f in problems]
    for finding in problems:
        assert int(finding.details["outliers"]) <= _far_values(  # type: ignore[arg-type]
            np.array(values), np.array(values)
        )
