"""The reference profile: everything ``calculate`` needs from the training data, stored once.

Per numeric column: quantile bin edges (``n_bins`` bins from the reference quantiles, outer edges
-inf/+inf, duplicates removed), the reference counts in those bins, the sorted non-missing
reference values (for the exact KS statistic and Wasserstein distance), mean and standard
deviation (population, ddof=0) and the missing count. Per categorical column: the categories and
their counts. Bins are half-open, ``[edge[i], edge[i+1])``.

A profile is immutable (arrays are read-only) and serialises without pickle (``to_bytes`` or
``save`` = JSON + npz), so the training pipeline logs it next to the model and the nightly check
loads it instead of the training set.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

import numpy as np

from glassbox.drift import _serial
from glassbox.drift._calibration import Calibration
from glassbox.drift._calibration import limit as calibrated_limit
from glassbox.drift._columns import Category
from glassbox.drift._errors import DriftError
from glassbox.drift._stats import FloatArray, IntArray

Kind = Literal["feature", "prediction"]
FORMAT = "glassbox-drift-profile"


def readonly(values: np.ndarray) -> np.ndarray:
    values.setflags(write=False)
    return values


def quantile_edges(sorted_values: FloatArray, n_bins: int) -> FloatArray:
    """Edges [-inf, q_1/n, ..., q_(n-1)/n, +inf] (linear interpolation, duplicates removed).

    Equal to ``np.quantile(values, probabilities)`` but O(n_bins) on an already sorted array.
    """
    probabilities = np.arange(1, n_bins) / n_bins
    position = probabilities * (sorted_values.size - 1)
    low = np.floor(position).astype(np.int64)
    high = np.minimum(low + 1, sorted_values.size - 1)
    lower, upper = sorted_values[low], sorted_values[high]
    inner = lower + (position - low) * (upper - lower)
    return np.concatenate(([-np.inf], np.unique(inner), [np.inf]))


def bin_counts(sorted_values: FloatArray, edges: FloatArray) -> IntArray:
    """Counts of a sorted sample in the bins ``[edges[i], edges[i+1])``."""
    cut = np.searchsorted(sorted_values, edges[1:-1], side="left")
    bounds = np.concatenate(([0], cut, [sorted_values.size]))
    return np.diff(bounds).astype(np.int64)


@dataclass(frozen=True, eq=False)
class NumericReference:
    name: str
    kind: Kind
    n: int
    missing: int
    mean: float
    std: float
    edges: FloatArray
    counts: IntArray
    sorted_values: FloatArray

    dtype: Literal["numeric"] = "numeric"


@dataclass(frozen=True, eq=False)
class CategoricalReference:
    name: str
    kind: Kind
    n: int
    missing: int
    categories: tuple[Category, ...]
    counts: IntArray

    dtype: Literal["categorical"] = "categorical"


ColumnReference = NumericReference | CategoricalReference


def numeric_reference(
    name: str, kind: Kind, finite: FloatArray, missing: int, n_bins: int
) -> NumericReference:
    if finite.size == 0:
        raise DriftError(
            f"column {name!r} in the reference data has no non-missing values; cannot profile it"
        )
    edges = quantile_edges(finite, n_bins)
    return NumericReference(
        name=name,
        kind=kind,
        n=int(finite.size),
        missing=missing,
        mean=float(finite.mean()),
        std=float(finite.std()),
        edges=readonly(edges),
        counts=readonly(bin_counts(finite, edges)),
        sorted_values=readonly(finite),
    )


class ReferenceProfile:
    """The fitted reference: one ``NumericReference`` / ``CategoricalReference`` per column."""

    def __init__(
        self,
        columns: tuple[ColumnReference, ...],
        n_rows: int,
        n_bins: int,
        calibration: Calibration | None = None,
    ) -> None:
        self.columns = columns
        self.n_rows = n_rows
        self.n_bins = n_bins
        # How thresholds are calibrated on this reference (false-alarm rate per window and
        # check); profiles saved before calibration existed get the defaults.
        self.calibration = calibration or Calibration()
        self._by_name = {c.name: c for c in columns}
        self._limits: dict[tuple[str, str, int, float], float] = {}

    def calibrated_limit(self, name: str, metric: str, window: int, level: float) -> float:
        """The ``1 - level`` quantile of ``metric`` for column ``name`` on same-distribution
        windows of ``window`` non-missing values (cached per window size)."""
        key = (name, metric, int(window), float(level))
        if key not in self._limits:
            self._limits[key] = calibrated_limit(
                self[name], metric, window, level, self.calibration
            )
        return self._limits[key]

    def __getitem__(self, name: str) -> ColumnReference:
        try:
            return self._by_name[name]
        except KeyError:
            raise DriftError(f"column {name!r} is not in the reference profile") from None

    def __repr__(self) -> str:
        return f"ReferenceProfile(columns={list(self._by_name)}, n_rows={self.n_rows})"

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self._by_name)

    @cached_property
    def fingerprint(self) -> str:
        """SHA-256 of the binning (names, kinds, edges, categories): shards must share it."""
        digest = hashlib.sha256()
        for col in self.columns:
            digest.update(json.dumps([col.name, col.kind, col.dtype]).encode())
            if isinstance(col, NumericReference):
                digest.update(np.ascontiguousarray(col.edges).tobytes())
            else:
                digest.update(json.dumps(list(col.categories)).encode())
        return digest.hexdigest()

    # -- persistence ---------------------------------------------------------------------------

    def _dump(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        columns: list[dict[str, Any]] = []
        arrays: dict[str, np.ndarray] = {}
        for i, col in enumerate(self.columns):
            entry: dict[str, Any] = {
                "name": col.name, "kind": col.kind, "dtype": col.dtype,
                "n": col.n, "missing": col.missing,
            }  # fmt: skip
            arrays[f"c{i}_counts"] = col.counts
            if isinstance(col, NumericReference):
                entry |= {"mean": col.mean, "std": col.std}
                arrays[f"c{i}_edges"] = col.edges
                arrays[f"c{i}_sorted"] = col.sorted_values
            else:
                entry["categories"] = list(col.categories)
            columns.append(entry)
        meta = {
            "format": FORMAT,
            "version": 1,
            "n_rows": self.n_rows,
            "n_bins": self.n_bins,
            "calibration": self.calibration.model_dump(),
        }
        return meta | {"columns": columns}, arrays

    def to_bytes(self) -> bytes:
        return _serial.pack(*self._dump())

    @classmethod
    def from_bytes(cls, data: bytes) -> ReferenceProfile:
        return cls._load(*_serial.unpack(data, "reference profile bytes", FORMAT), "bytes")

    def save(self, directory: str | Path) -> Path:
        """Write ``profile.json`` + ``profile.npz`` into ``directory``; returns the directory."""
        return _serial.save_dir(directory, "profile", *self._dump())

    @classmethod
    def load(cls, directory: str | Path) -> ReferenceProfile:
        return cls._load(*_serial.load_dir(directory, "profile", FORMAT), str(directory))

    @classmethod
    def _load(
        cls, meta: dict[str, Any], arrays: dict[str, np.ndarray], what: str
    ) -> ReferenceProfile:
        try:
            columns = tuple(
                _column_from(entry, i, arrays, what) for i, entry in enumerate(meta["columns"])
            )
            calibration = (
                Calibration.model_validate(meta["calibration"]) if "calibration" in meta else None
            )
            return cls(
                columns,
                n_rows=int(meta["n_rows"]),
                n_bins=int(meta["n_bins"]),
                calibration=calibration,
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise DriftError(f"reference profile {what}: malformed metadata ({exc!r})") from None


def _column_from(
    entry: dict[str, Any], i: int, arrays: dict[str, np.ndarray], what: str
) -> ColumnReference:
    counts = readonly(_serial.array(arrays, f"c{i}_counts", what).astype(np.int64))
    common = {
        "name": str(entry["name"]), "kind": entry["kind"],
        "n": int(entry["n"]), "missing": int(entry["missing"]), "counts": counts,
    }  # fmt: skip
    if entry["kind"] not in ("feature", "prediction"):
        raise ValueError(f"column {entry['name']!r}: kind {entry['kind']!r}")
    if entry["dtype"] == "numeric":
        return NumericReference(
            **common,
            mean=float(entry["mean"]),
            std=float(entry["std"]),
            edges=readonly(_serial.array(arrays, f"c{i}_edges", what).astype(np.float64)),
            sorted_values=readonly(
                _serial.array(arrays, f"c{i}_sorted", what).astype(np.float64, copy=False)
            ),
        )
    if entry["dtype"] == "categorical":
        return CategoricalReference(**common, categories=tuple(entry["categories"]))
    raise ValueError(f"column {entry['name']!r}: dtype {entry['dtype']!r}")
