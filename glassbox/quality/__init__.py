"""Input contracts and data-quality findings.

The training pipeline's validate step derives a :class:`DataContract` from the reference data
and stops on a batch that breaks it::

    contract = DataContract.infer(reference, features=[...], categorical=[...],
                                  id_column="id", timestamp_column="timestamp",
                                  target_column="repaid")
    validate_batch(reference, contract, source="data/reference.csv")
    production = read_table("data/prod.parquet")  # no labels yet: drop the target column
    validate_batch(production, contract.without("repaid"), source="data/prod.parquet")
    # ContractViolationError: validate: data/prod.parquet: column 'car_value': expected numeric
    # (float64), got object (first bad value 'abc' at row 17)

The monitoring cron grades each production window instead of raising::

    findings = quality_findings(window, contract, thresholds=QualityThresholds())
    problems = [f for f in findings if f.is_problem]

pandas is imported when a function needs it, not when this package is imported.
"""

from glassbox.quality._baseline import ColumnBaseline, QualityBaseline
from glassbox.quality._contract import ColumnContract, DataContract, Kind, Role
from glassbox.quality._findings import CHECKS, Detail, QualityFinding, worst_severity
from glassbox.quality._infer import FeatureGuess, dtype_kind, guess_feature
from glassbox.quality._io import read_table
from glassbox.quality._monitor import quality_findings
from glassbox.quality._thresholds import (
    ColumnOverride,
    ColumnThresholds,
    OutlierThresholds,
    QualityThresholds,
    Severity,
    ShareThreshold,
)
from glassbox.quality._validate import ContractViolationError, validate_batch
from glassbox.quality._values import label_of

__all__ = [
    "CHECKS",
    "ColumnBaseline",
    "ColumnContract",
    "ColumnOverride",
    "ColumnThresholds",
    "ContractViolationError",
    "DataContract",
    "Detail",
    "FeatureGuess",
    "Kind",
    "OutlierThresholds",
    "QualityBaseline",
    "QualityFinding",
    "QualityThresholds",
    "Role",
    "Severity",
    "ShareThreshold",
    "dtype_kind",
    "guess_feature",
    "label_of",
    "quality_findings",
    "read_table",
    "validate_batch",
    "worst_severity",
]
