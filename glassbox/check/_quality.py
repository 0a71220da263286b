"""Data-quality findings of the current data against a contract inferred from the reference.

The contract names every feature the reference has (a feature missing from the current data is
a schema finding), the role columns (duplicate ids, unparsable timestamps, model outputs out of
range) and nothing else: a column only the current data has is reported as an extra column.
Without ``--id``/``--timestamp`` the contract is inferred with stand-in columns that are then
dropped, so no finding is about a column the user does not have.

With ``--contract`` (a data contract as the training pipeline's validate step logs it) the
current data is graded against that contract exactly as the monitoring cron grades a window
(``glassbox.monitoring.check_window_quality``: the contract's columns without the target).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from glassbox.check._inputs import kind_of
from glassbox.quality import DataContract, QualityFinding, QualityThresholds

if TYPE_CHECKING:
    import pandas as pd

    from glassbox.check._inputs import Layout
    from glassbox.check._options import Roles
    from glassbox.drift import ReferenceProfile


def _free_name(frame: pd.DataFrame, stem: str) -> str:
    name, taken, n = stem, {str(c) for c in frame.columns}, 0
    while name in taken:
        n += 1
        name = f"{stem}_{n}"
    return name


def contract(reference: pd.DataFrame, lay: Layout, roles: Roles, source: str) -> DataContract:
    """The data contract of the reference: features (shared and reference-only) and roles."""
    import numpy as np

    frame = reference.copy(deep=False)
    stand_ins = []
    id_column, timestamp_column = roles.id, roles.timestamp
    if id_column is None:
        id_column = _free_name(frame, "__glassbox_row_id")
        frame[id_column] = np.arange(len(frame))
        stand_ins.append(id_column)
    if timestamp_column is None:
        timestamp_column = _free_name(frame, "__glassbox_timestamp")
        frame[timestamp_column] = np.zeros(len(frame), dtype="datetime64[ns]")
        stand_ins.append(timestamp_column)
    features = [*lay.features, *lay.only_reference]
    categorical = [c for c in features if kind_of(reference[c]) == "categorical"]
    inferred = DataContract.infer(
        frame,
        features=features,
        categorical=categorical,
        id_column=id_column,
        timestamp_column=timestamp_column,
        target_column=roles.target,
        prediction_columns=list(roles.outputs),
        source=source,
    )
    return inferred.without(*stand_ins) if stand_ins else inferred


def applicable(thresholds: QualityThresholds, columns: set[str]) -> QualityThresholds:
    """The thresholds without per-column overrides for columns these files do not have (the
    configured overrides name the project model's columns, not necessarily these)."""
    kept = {name: rule for name, rule in thresholds.columns.items() if name in columns}
    if len(kept) == len(thresholds.columns):
        return thresholds
    return thresholds.model_copy(update={"columns": kept})


def findings(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    lay: Layout,
    roles: Roles,
    thresholds: QualityThresholds,
    *,
    source: str,
    empty_reference: tuple[str, ...] = (),
    profile: ReferenceProfile | None = None,
    given: DataContract | None = None,
) -> list[QualityFinding]:
    """Every quality check on ``current`` (passing checks included), plus one finding per
    feature the reference has no value in (it cannot be compared). ``given``: the data
    contract to grade against (as the cron does), instead of one inferred from the reference."""
    from glassbox.monitoring import check_quality, check_window_quality

    if given is not None:
        found = check_window_quality(current, given, thresholds, profile, target=roles.target)
    else:
        agreed = contract(reference, lay, roles, source)
        found = check_quality(current, agreed, applicable(thresholds, set(agreed.columns)), profile)
    rows = len(reference)
    found += [
        QualityFinding(
            check="data_quality.all_nan_column",
            column=name,
            severity="warning",
            observed=1.0,
            threshold=None,
            message=(
                f"column {name!r}: every value is missing in the reference data "
                f"({rows} rows); drift not computed"
            ),
            details={"rows": rows, "data": "reference"},
        )
        for name in empty_reference
    ]
    return found
