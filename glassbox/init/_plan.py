"""From a user's table to validated settings: what each column is, and the settings file."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict

from glassbox.config import Settings
from glassbox.init._roles import (
    InitError,
    check_distinct_roles,
    check_id,
    check_reserved,
    check_target,
    check_timestamp,
    listing,
    require_column,
)
from glassbox.quality import FeatureGuess

if TYPE_CHECKING:
    import pandas as pd

# Training, a held-out split with both classes, and reference chunks for NannyML need rows.
MIN_ROWS = 200
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")


class InitRequest(BaseModel):
    """What ``glassbox init`` was asked: the file, the target and the optional roles."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    reference: Path
    target: str
    id_column: str | None = None
    timestamp: str | None = None
    name: str | None = None
    production: Path | None = None
    targets: Path | None = None
    exclude: tuple[str, ...] = ()
    task: Literal["auto", "classification", "regression"] = "auto"


class InitPlan(BaseModel):
    """The outcome: validated settings plus what was inferred, for the console."""

    model_config = ConfigDict(frozen=True)

    request: InitRequest
    rows: int
    columns: int
    target: str  # what the target holds: the class counts, or the numbers' range
    guesses: list[FeatureGuess]
    notes: list[str]
    settings: Settings

    @property
    def name(self) -> str:
        return str(self.settings.tracking.registered_model)


def model_name(request: InitRequest) -> str:
    """``--name``, else the file's stem made into a registry-friendly name."""
    if request.name is not None:
        if not _NAME.match(request.name):
            raise InitError(
                f"--name {request.name!r}: expected letters, digits, '-', '_' or '.' "
                "(starting with a letter or digit, at most 100)"
            )
        return request.name
    stem = request.reference.name.split(".")[0]
    slug = re.sub(r"[^a-z0-9]+", "-", stem.lower()).strip("-")[:80]
    return slug or "model"


def _read(path: Path, option: str) -> pd.DataFrame:
    from glassbox.quality import read_table

    df = read_table(path)
    if len(df) == 0:
        raise InitError(f"{option} {path}: no rows (a header only); expected a table with data")
    repeated = sorted({str(c) for c in df.columns[df.columns.duplicated()]})
    if repeated:
        raise InitError(f"{option} {path}: column(s) {repeated} appear more than once")
    return df


def _guesses(df: pd.DataFrame, skip: set[str], source: Path) -> list[FeatureGuess]:
    from glassbox.quality import guess_feature

    guesses = [guess_feature(df[c], str(c)) for c in df.columns if c not in skip]
    problems = [g for g in guesses if g.problem]
    if problems:
        first = problems[0]
        more = (
            f"; {len(problems) - 1} more column(s) with problems: "
            f"{listing([g.name for g in problems[1:]])}"
            if len(problems) > 1
            else ""
        )
        raise InitError(
            f"{source}: {first.problem} (fix it in the file, or leave the column out with "
            f"--exclude {first.name}){more}"
        )
    if not any(g.kind for g in guesses):
        raise InitError(f"{source}: no usable feature column (every column was left out)")
    return guesses


def _ordered(df: pd.DataFrame, timestamp: str | None) -> pd.DataFrame:
    """Rows in the order the pipeline holds them (glassbox.features.prepare)."""
    import pandas as pd

    if timestamp is None:
        return df
    times = pd.to_datetime(df[timestamp], format="ISO8601")
    return df.assign(**{timestamp: times}).sort_values(timestamp, kind="stable")


def _check_split(df: pd.DataFrame, request: InitRequest, fraction: float, task: str) -> int:
    """Both classes (a target that varies, for regression) in the training rows and in the
    held-out rows; returns the held-out count."""
    from glassbox.features import split_holdout

    if len(df) < MIN_ROWS:
        raise InitError(
            f"--reference {request.reference}: {len(df)} rows; Glassbox needs at least "
            f"{MIN_ROWS} (training rows, a held-out split and monitoring reference chunks)"
        )
    train, holdout = split_holdout(_ordered(df, request.timestamp), fraction)
    for part, rows in (("training", train), ("held-out", holdout)):
        if rows[request.target].nunique() < 2:
            where = "newest" if request.timestamp else "last"
            raise InitError(
                f"--target {request.target!r}: the {part} rows (the {where} "
                f"{fraction:.0%} are held out) hold only one "
                f"{'value' if task == 'regression' else 'class'}; "
                + (
                    "is the file sorted by the target? Shuffle it, or give --timestamp"
                    if request.timestamp is None
                    else "the classes are not spread over time"
                )
            )
    return len(holdout)


def _check_other(
    path: Path | None, request: InitRequest, option: str, needed: list[str], df: pd.DataFrame
) -> tuple[Path, list[str]]:
    """A production or targets file must carry every column the pipeline reads from it;
    returns its absolute path and its columns."""
    if path is None or path.resolve() == request.reference.resolve():
        return request.reference.resolve(), [str(c) for c in df.columns]
    other = _read(path, option)
    missing = [c for c in needed if c not in other.columns]
    if missing:
        raise InitError(
            f"{option} {path}: column(s) {listing(missing)} missing (the pipeline reads them "
            f"from this file as from {request.reference})"
        )
    return path.resolve(), [str(c) for c in other.columns]


def _targets(
    request: InitRequest, production: tuple[Path, list[str]], join: list[str], df: pd.DataFrame
) -> tuple[Path, list[str]]:
    """``--targets``, else the production file when it has labels, else the reference file."""
    needed = [*join, request.target]
    if request.targets is not None:
        path, _ = _check_other(request.targets, request, "--targets", needed, df)
        return path, []
    if request.target in production[1]:
        return production[0], []
    note = (
        f"targets: the production file has no {request.target!r} column, so the delayed "
        f"targets the monitoring cron joins are read from {request.reference.name}; pass "
        "--targets FILE (or set data.targets) when the labels arrive in a file of their own"
    )
    return request.reference.resolve(), [note]


def plan(request: InitRequest, base: Settings) -> InitPlan:
    """Read the file, check the named columns, infer the features, build the settings."""
    df = _read(request.reference, "--reference")
    source = str(request.reference)
    check_distinct_roles(request.target, request.id_column, request.timestamp)
    for column in request.exclude:
        require_column(df, column, "--exclude", source)
    task, target = check_target(df, request.target, source, request.task)
    if request.id_column:
        check_id(df, request.id_column, source)
    if request.timestamp:
        check_timestamp(df, request.timestamp, source)
    from glassbox.features import DERIVED_ID, SCORED_AT

    reserved = {} if request.id_column else {DERIVED_ID: "--id"}
    check_reserved(df, reserved | ({} if request.timestamp else {SCORED_AT: "--timestamp"}), source)
    roles = {request.target, request.id_column, request.timestamp, *request.exclude}
    guesses = _guesses(df, {r for r in roles if r}, request.reference)
    holdout_rows = _check_split(df, request, base.data.holdout_fraction, task)
    numeric = [g.name for g in guesses if g.kind == "numeric"]
    categorical = [g.name for g in guesses if g.kind == "categorical"]
    inputs = [c for c in (request.id_column, request.timestamp) if c] + numeric + categorical
    production = _check_other(request.production, request, "--production", inputs, df)
    join = [request.id_column] if request.id_column else numeric + categorical
    targets, target_notes = _targets(request, production, join, df)
    from glassbox.init._settings import build_settings

    settings, notes = build_settings(
        base,
        name=model_name(request),
        data={
            "reference": str(request.reference.resolve()),
            "production": str(production[0]),
            "targets": str(targets),
            "id_column": request.id_column,
            "timestamp_column": request.timestamp,
            "target_column": request.target,
            "numeric_features": numeric,
            "categorical_features": categorical,
        },
        holdout_rows=holdout_rows,
        task=task,
    )
    return InitPlan(
        request=request,
        rows=len(df),
        columns=len(df.columns),
        target=target,
        guesses=guesses,
        notes=notes + target_notes,
        settings=settings,
    )
