"""The data contract: what each column of a batch must look like, derived from reference data.

The contract is plain data (a pydantic model with a JSON form) so the validate step can log it
and transform, score and the monitoring cron can load it without the reference data.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from glassbox.errors import DataValidationError

if TYPE_CHECKING:
    import pandas as pd

Role = Literal["feature", "id", "timestamp", "target", "prediction"]
Kind = Literal["numeric", "categorical", "datetime", "boolean"]

CONTRACT_VERSION = 1
_NUMERIC_STATS = ("min", "max", "q1", "median", "q3", "mean", "std")


class ColumnContract(BaseModel):
    """One column: its role, its kind and the reference statistics the checks compare against.

    ``dtype`` is the dtype the reference data had (for messages); ``kind`` is what is enforced.
    Numeric statistics are computed on the finite reference values; ``q1``/``q3`` are the
    quartiles the IQR fences use, ``mean``/``std`` the z-score. ``categories`` (categorical
    features only) are the values' string labels: ``True``/``False`` for booleans, ``3`` for an
    integral ``3.0``, so a column read as bool from CSV and as text from Parquet compare equal.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    role: Role
    kind: Kind
    dtype: str = Field(min_length=1)
    nullable: bool
    missing_share: float = Field(0.0, ge=0.0, le=1.0)
    categories: list[str] | None = None
    min: float | None = None
    max: float | None = None
    q1: float | None = None
    median: float | None = None
    q3: float | None = None
    mean: float | None = None
    std: float | None = Field(None, ge=0.0)

    @model_validator(mode="after")
    def _consistent(self) -> ColumnContract:
        if self.categories is not None and self.kind != "categorical":
            raise ValueError(
                f"categories are only allowed for kind 'categorical', not {self.kind!r}"
            )
        given = [name for name in _NUMERIC_STATS if getattr(self, name) is not None]
        if given and self.kind != "numeric":
            raise ValueError(f"statistics {given} are only allowed for kind 'numeric'")
        if given and len(given) != len(_NUMERIC_STATS):
            missing = [name for name in _NUMERIC_STATS if name not in given]
            raise ValueError(f"numeric statistics are all-or-nothing; missing {missing}")
        if given:
            order = [float(getattr(self, name)) for name in ("min", "q1", "median", "q3", "max")]
            if any(a > b for a, b in itertools.pairwise(order)):
                raise ValueError("expected min <= q1 <= median <= q3 <= max")
        return self

    @property
    def has_stats(self) -> bool:
        """Whether the reference had finite numeric values to compute statistics from."""
        return self.min is not None

    def describe(self) -> str:
        """``numeric (float64)``, ``categorical``, ``datetime`` ... for messages."""
        return f"numeric ({self.dtype})" if self.kind == "numeric" else self.kind


class DataContract(BaseModel):
    """The columns a batch must have and what each must hold; see :meth:`infer`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    version: int = CONTRACT_VERSION
    reference_rows: int = Field(ge=1)
    columns: dict[str, ColumnContract] = Field(min_length=1)
    required_columns: list[str] = Field(min_length=1)

    @model_validator(mode="after")
    def _known_required(self) -> DataContract:
        if self.version != CONTRACT_VERSION:
            raise ValueError(f"unsupported contract version {self.version}; expected 1")
        unknown = [c for c in self.required_columns if c not in self.columns]
        if unknown:
            raise ValueError(f"required columns {unknown} have no column entry")
        for role in ("id", "timestamp", "target"):
            named = [name for name, col in self.columns.items() if col.role == role]
            if len(named) > 1:
                raise ValueError(f"at most one {role} column expected, got {named}")
        return self

    @classmethod
    def infer(
        cls,
        df: pd.DataFrame,
        features: Sequence[str],
        categorical: Sequence[str],
        *,
        id_column: str | None,
        timestamp_column: str | None,
        target_column: str | None = None,
        prediction_columns: Sequence[str] = (),
        source: str = "reference data",
    ) -> DataContract:
        """Derive the contract from reference (training) data.

        ``categorical`` is a subset of ``features``; the other features are numeric unless the
        reference holds them as bool (kind ``boolean``) or datetime. Every named column is
        required. A column is nullable when the reference has a missing value in it. Data
        without an id or a timestamp column passes None for it (no such role in the contract).
        Raises :class:`~glassbox.errors.ConfigError` when the column lists overlap or name a
        column twice, and ``ContractViolationError`` (a ``DataValidationError``) naming
        ``source`` when the reference is empty or lacks a named column.
        """
        from glassbox.quality._infer import infer_columns

        roles = _roles(
            features,
            categorical,
            id_column=id_column,
            timestamp_column=timestamp_column,
            target_column=target_column,
            prediction_columns=prediction_columns,
        )
        columns = infer_columns(df, roles, set(categorical), source)
        return cls(reference_rows=len(df), columns=columns, required_columns=list(roles))

    def to_json(self) -> str:
        return self.model_dump_json(indent=2)

    @classmethod
    def from_json(cls, text: str | bytes, *, source: str = "contract") -> DataContract:
        """Parse :meth:`to_json` output; a bad document raises ``DataValidationError``."""
        try:
            return cls.model_validate_json(text)
        except ValidationError as exc:
            first = exc.errors()[0]
            field = ".".join(str(part) for part in first["loc"]) or "contract"
            message = str(first["msg"]).removeprefix("Value error, ")
            more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
            raise DataValidationError(
                f"contract: {source}: field {field!r}: {message}{more}"
            ) from None

    def without(self, *names: str) -> DataContract:
        """The contract for batches that do not carry ``names`` (production has no target yet)."""
        unknown = [name for name in names if name not in self.columns]
        if unknown:
            raise KeyError(f"contract: no column(s) {unknown} to drop")
        return DataContract(
            reference_rows=self.reference_rows,
            columns={k: v for k, v in self.columns.items() if k not in names},
            required_columns=[c for c in self.required_columns if c not in names],
        )

    def with_role(self, role: Role) -> list[str]:
        """The names of the columns that have ``role``, in contract order."""
        return [name for name, col in self.columns.items() if col.role == role]

    @property
    def features(self) -> list[str]:
        return self.with_role("feature")

    @property
    def id_column(self) -> str | None:
        return next(iter(self.with_role("id")), None)

    @property
    def timestamp_column(self) -> str | None:
        return next(iter(self.with_role("timestamp")), None)

    @property
    def target_column(self) -> str | None:
        return next(iter(self.with_role("target")), None)

    def categories(self) -> dict[str, list[str]]:
        """Allowed labels per categorical feature (sorted), e.g. for an ordinal encoder."""
        return {
            name: list(col.categories)
            for name, col in self.columns.items()
            if col.role == "feature" and col.categories is not None
        }


def _roles(
    features: Sequence[str],
    categorical: Sequence[str],
    *,
    id_column: str | None,
    timestamp_column: str | None,
    target_column: str | None,
    prediction_columns: Sequence[str],
) -> dict[str, Role]:
    from glassbox.errors import ConfigError

    for label, names in (
        ("features", features),
        ("categorical", categorical),
        ("prediction_columns", prediction_columns),
    ):
        if isinstance(names, str):
            raise ConfigError(f"contract: {label}: expected a list of column names, got a string")
    stray = [c for c in categorical if c not in features]
    if stray:
        raise ConfigError(f"contract: categorical columns {stray} are not listed in features")
    roles: dict[str, Role] = {}
    named: list[tuple[str, Role]] = [(c, "feature") for c in features]
    special: list[tuple[str | None, Role]] = [
        (id_column, "id"),
        (timestamp_column, "timestamp"),
        (target_column, "target"),
    ]
    named += [(column, role) for column, role in special if column is not None]
    named += [(c, "prediction") for c in prediction_columns]
    for name, role in named:
        if not isinstance(name, str) or not name:
            raise ConfigError(f"contract: {role} column: expected a non-empty name, got {name!r}")
        if name in roles:
            raise ConfigError(
                f"contract: column {name!r} is named twice (as {roles[name]} and as {role})"
            )
        roles[name] = role
    if not features:
        raise ConfigError("contract: features: expected at least one feature column")
    return roles
