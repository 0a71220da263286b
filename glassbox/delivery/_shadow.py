"""The shadow log: one record per prediction scored by both the champion and the challenger.

``glassbox serve`` in shadow mode writes these (JSON lines, one ``ShadowRecord`` per line, under
``$GLASSBOX_HOME/serving/shadow/<serving run id>/``; or Parquet with the flat columns of
``FLAT_COLUMNS``); ``glassbox canary analyze --shadow`` reads them. An unterminated last line
that does not parse is a record still being written, and is skipped. The record is versioned
(``schema_version``): a reader refuses versions it does not know rather than guessing. ``id`` is
the prediction id the delayed targets are joined on (the same id the audit log and the
monitoring cron use); ``request_id`` groups the rows of one request.
"""

from __future__ import annotations

import gzip
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from glassbox.delivery._errors import AnalysisInputError

if TYPE_CHECKING:
    import pandas as pd

SCHEMA_VERSION = 1
SIDES = ("champion", "challenger")
SIDE_FIELDS = ("version", "proba", "label", "latency_seconds", "error")
FLAT_COLUMNS = (
    "schema_version",
    "request_id",
    "id",
    "timestamp",
    "model",
    *(f"{side}_{name}" for side in SIDES for name in SIDE_FIELDS),
)
SUFFIXES = (".jsonl", ".jsonl.gz", ".parquet")


class SideOutcome(BaseModel):
    """What one model did with the prediction: its output, or the error type it failed with."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    version: str = Field(min_length=1, max_length=64)
    proba: float | None = Field(None, ge=0, le=1, description="probability of the positive class")
    label: int | None = Field(None, ge=0, description="predicted class")
    latency_seconds: float | None = Field(None, ge=0, description="model time for this request")
    error: str | None = Field(
        None, min_length=1, max_length=64, description="error type (model_error, timeout...)"
    )

    @field_validator("proba", "latency_seconds")
    @classmethod
    def _finite(cls, value: float | None) -> float | None:
        if value is not None and not math.isfinite(value):
            raise ValueError("expected a finite number")
        return value

    @model_validator(mode="after")
    def _output_or_error(self) -> SideOutcome:
        if self.error is None and (self.proba is None or self.label is None):
            raise ValueError("a side without 'error' needs both 'proba' and 'label'")
        return self


class ShadowRecord(BaseModel):
    """One prediction, scored by both models (version 1 of the record)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    schema_version: Literal[1] = 1
    request_id: str = Field(min_length=1, max_length=200)
    id: str = Field(min_length=1, max_length=200, description="prediction id (targets join key)")
    timestamp: datetime
    model: str = Field(min_length=1, max_length=200, description="registered model name")
    champion: SideOutcome
    challenger: SideOutcome

    @field_validator("timestamp")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

    def to_line(self) -> str:
        return self.model_dump_json(exclude_none=True)

    def flat(self) -> dict[str, object]:
        row: dict[str, object] = {
            "schema_version": self.schema_version,
            "request_id": self.request_id,
            "id": self.id,
            "timestamp": self.timestamp,
            "model": self.model,
        }
        for side in SIDES:
            outcome: SideOutcome = getattr(self, side)
            row |= {f"{side}_{name}": getattr(outcome, name) for name in SIDE_FIELDS}
        return row


@dataclass(frozen=True)
class ShadowLog:
    """The records read from one or more files, as flat columns (``FLAT_COLUMNS``)."""

    frame: pd.DataFrame
    files: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.frame)

    def pairs(self) -> dict[tuple[str, str], int]:
        """(champion version, challenger version) -> number of records."""
        counts = self.frame.groupby(["champion_version", "challenger_version"]).size()
        return {(str(a), str(b)): int(n) for (a, b), n in counts.items()}

    def select(self, champion: str | None, challenger: str | None) -> ShadowLog:
        """The records of one version pair (default: the pair with the most records)."""
        pairs = self.pairs()
        if not pairs:
            raise AnalysisInputError(f"{', '.join(self.files)}: the shadow log holds no record")
        if champion is None or challenger is None:
            best = max(pairs, key=lambda pair: pairs[pair])
            champion, challenger = champion or best[0], challenger or best[1]
        keep = (self.frame["champion_version"] == champion) & (
            self.frame["challenger_version"] == challenger
        )
        if not keep.any():
            shown = ", ".join(f"v{a} vs v{b} ({n})" for (a, b), n in sorted(pairs.items()))
            raise AnalysisInputError(
                f"the shadow log has no record of champion v{champion} against challenger "
                f"v{challenger}; it holds: {shown}"
            )
        return ShadowLog(self.frame.loc[keep].reset_index(drop=True), self.files)


def shadow_files(paths: Iterable[str | Path]) -> list[Path]:
    """The log files named, directories searched recursively for ``SUFFIXES``."""
    found: list[Path] = []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*") if p.is_file() and _suffix_ok(p)))
        elif path.is_file():
            if not _suffix_ok(path):
                raise AnalysisInputError(
                    f"{path}: expected a shadow log ({', '.join(SUFFIXES)}), got '{path.suffix}'"
                )
            found.append(path)
        else:
            raise AnalysisInputError(f"{path}: no such file or directory")
    if not found:
        raise AnalysisInputError(
            f"no shadow log file ({', '.join(SUFFIXES)}) in {', '.join(map(str, paths))}"
        )
    return found


def _suffix_ok(path: Path) -> bool:
    return path.name.endswith(SUFFIXES)


def read_shadow_log(paths: Iterable[str | Path]) -> ShadowLog:
    """Read and validate shadow-log files; a bad record names its file, line and field."""
    import pandas as pd

    files = shadow_files(paths)
    frames = [_read_parquet(f) if f.suffix == ".parquet" else _read_jsonl(f) for f in files]
    frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=FLAT_COLUMNS)
    return ShadowLog(frame, tuple(str(f) for f in files))


def _read_jsonl(path: Path) -> pd.DataFrame:
    import pandas as pd

    opener = gzip.open if path.name.endswith(".gz") else open
    rows = []
    try:
        with opener(path, "rt", encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    rows.append(_parse_line(line, path, number).flat())
                except AnalysisInputError:
                    if line.endswith("\n"):
                        raise
                    # the last line, unterminated and unreadable: a record still being written
                    # (glassbox serve appends while it serves) or cut by a crash; never answered
                    # as a complete record, so not one
    except (OSError, UnicodeDecodeError, EOFError) as exc:
        raise AnalysisInputError(f"{path}: cannot read the shadow log ({exc})") from None
    return pd.DataFrame(rows, columns=list(FLAT_COLUMNS))


def _parse_line(line: str, path: Path, number: int) -> ShadowRecord:
    try:
        return ShadowRecord.model_validate_json(line)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(p) for p in error["loc"]) or "record"
        message = str(error["msg"]).removeprefix("Value error, ")
        raise AnalysisInputError(f"{path}:{number}: field '{where}': {message}") from None


def _read_parquet(path: Path) -> pd.DataFrame:
    """Parquet rows hold the flat fields. A vectorised screen, stricter than the model, passes
    the rows that are certainly valid; every other row goes through ``ShadowRecord`` itself,
    so a bad row is reported exactly as a bad JSON line would be (field and reason)."""
    import pandas as pd

    try:
        frame = pd.read_parquet(path)
    except Exception as exc:
        raise AnalysisInputError(f"{path}: not a readable Parquet file ({exc})") from None
    missing = [c for c in FLAT_COLUMNS if c not in frame.columns and not c.endswith("_error")]
    if missing:
        raise AnalysisInputError(f"{path}: missing column(s) {', '.join(missing)}")
    for side in SIDES:
        if f"{side}_error" not in frame.columns:
            frame[f"{side}_error"] = None
    frame = frame.loc[:, list(FLAT_COLUMNS)].reset_index(drop=True)
    suspect = ~_certainly_valid(frame)
    for number in (suspect[suspect].index + 1).tolist():
        row = frame.iloc[number - 1].to_dict()
        frame.iloc[number - 1] = pd.Series(_validate_row(row, path, number))
    frame["timestamp"] = pd.to_datetime(frame["timestamp"], utc=True)
    return frame


def _validate_row(row: dict[str, object], path: Path, number: int) -> dict[str, object]:
    nested: dict[str, object] = {
        key: _none(row.get(key))
        for key in ("schema_version", "request_id", "id", "timestamp", "model")
    }
    for side in SIDES:
        values = {name: _none(row.get(f"{side}_{name}")) for name in SIDE_FIELDS}
        nested[side] = {k: v for k, v in values.items() if v is not None}
    try:
        return ShadowRecord.model_validate(nested).flat()
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(p) for p in error["loc"]) or "record"
        message = str(error["msg"]).removeprefix("Value error, ")
        raise AnalysisInputError(f"{path}: row {number}: field '{where}': {message}") from None


def _certainly_valid(frame: pd.DataFrame) -> pd.Series:
    """Rows that satisfy every constraint of ``ShadowRecord`` (checked column by column)."""
    import pandas as pd

    ok = frame["schema_version"].eq(SCHEMA_VERSION)
    for column, longest in (("request_id", 200), ("id", 200), ("model", 200)):
        ok &= _text(frame[column], longest)
    if not pd.api.types.is_datetime64_any_dtype(frame["timestamp"]):
        ok &= False
    for side in SIDES:
        error = frame[f"{side}_error"]
        ok &= _text(frame[f"{side}_version"], 64)
        ok &= error.isna() | _text(error, 64)
        for name, low, high in (("proba", 0.0, 1.0), ("latency_seconds", 0.0, float("inf"))):
            values = pd.to_numeric(frame[f"{side}_{name}"], errors="coerce")
            ok &= frame[f"{side}_{name}"].isna() | values.between(low, high)
            ok &= ~values.isin([float("inf"), float("-inf")])
        label = pd.to_numeric(frame[f"{side}_label"], errors="coerce")
        ok &= frame[f"{side}_label"].isna() | (label.ge(0) & label.eq(label.round()))
        scored = frame[f"{side}_proba"].notna() & frame[f"{side}_label"].notna()
        ok &= error.notna() | scored
    return ok


def _text(column: pd.Series, longest: int) -> pd.Series:
    is_text = column.map(lambda v: isinstance(v, str) and 0 < len(v) <= longest)
    return is_text.astype(bool)


def _none(value: object) -> object:
    """Parquet nulls arrive as None, NaN or NaT: all mean 'absent'."""
    import pandas as pd

    if value is None:
        return None
    try:
        return None if pd.isna(value) else _plain(value)
    except (TypeError, ValueError):
        return _plain(value)


def _plain(value: object) -> object:
    """numpy scalars and Timestamps as plain Python values for the model."""
    if hasattr(value, "to_pydatetime"):
        return value.to_pydatetime()
    return value.item() if hasattr(value, "item") else value


def write_shadow_log(records: Sequence[ShadowRecord], path: str | Path) -> Path:
    """Write records as JSON lines (``.jsonl``, appended) or Parquet (``.parquet``)."""
    import pandas as pd

    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.suffix == ".parquet":
        frame = pd.DataFrame([r.flat() for r in records], columns=list(FLAT_COLUMNS))
        frame.to_parquet(target, index=False)
    elif target.suffix == ".jsonl":
        with target.open("a", encoding="utf-8") as handle:
            handle.writelines(record.to_line() + "\n" for record in records)
    else:
        raise AnalysisInputError(f"{target}: write .jsonl or .parquet, got '{target.suffix}'")
    return target
