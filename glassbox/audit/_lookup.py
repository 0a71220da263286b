"""find_record / verify_scored_file: was this prediction, on these inputs, recorded?"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import pandas as pd

from glassbox.audit._encoding import (
    event_timestamp_texts,
    mapping_text,
    prediction_id_text,
    prediction_id_texts,
    record_text,
    rows_of_mappings,
    timestamp_iso,
    utf8,
)
from glassbox.audit._errors import AuditError
from glassbox.audit._hashing import Hasher

Status = Literal["recorded", "inputs_differ", "not_found", "prediction_differs"]
Tables = Mapping[str, pd.DataFrame] | Iterable[Sequence[Any]]
_NEEDED = (
    "seq",
    "prediction_id",
    "prediction",
    "record_hash",
    "model_name",
    "model_version",
    "model_fingerprint",
    "hash_alg",
)
_CANDIDATE = ["source", "seq", "model_name", "model_version", "model_fingerprint"]


@dataclass(frozen=True)
class Location:
    """Where a prediction id is recorded, and by which model."""

    source: str
    seq: int
    model_name: str
    model_version: str
    model_fingerprint: str


@dataclass(frozen=True)
class Match:
    """The answer for one prediction: recorded (with where/which model), inputs differ, not found.

    ``location`` is the matching record (None unless recorded); ``candidates`` lists every
    record carrying the prediction id.
    """

    status: Status
    prediction_id: str
    location: Location | None = None
    candidates: tuple[Location, ...] = ()
    prediction: Any = None

    @property
    def recorded(self) -> bool:
        return self.status == "recorded"

    def describe(self) -> str:
        pid = repr(self.prediction_id)
        if self.location is not None:
            loc = self.location
            return (
                f"prediction {pid} is recorded in {loc.source} at seq {loc.seq}, made by "
                f"{loc.model_name} v{loc.model_version} "
                f"(fingerprint {loc.model_fingerprint})"
            )
        if self.status == "not_found":
            return f"prediction id {pid} is not in any audit table"
        where = ", ".join(f"{c.source} seq {c.seq}" for c in self.candidates)
        return (
            f"prediction id {pid} found ({where}) but the inputs differ: these features, "
            "event timestamp and prediction do not hash to the recorded value"
        )


@dataclass(frozen=True)
class ScoredFileReport:
    """Per-row verdicts for a scored file (``results``) and their tally."""

    results: pd.DataFrame
    counts: dict[str, int]

    @property
    def ok(self) -> bool:
        return len(self.results) == self.counts.get("recorded", 0)

    def summary(self) -> str:
        parts = ", ".join(f"{n} {status}" for status, n in self.counts.items() if n)
        return f"{len(self.results)} rows: {parts or 'nothing to check'}"


def _sources(tables: Tables) -> list[tuple[str, pd.DataFrame]]:
    items = list(tables.items()) if isinstance(tables, Mapping) else list(tables)
    out = []
    for i, item in enumerate(items):
        if isinstance(item, pd.DataFrame) or len(item) < 2:
            raise AuditError(f"tables[{i}]: expected (source label, audit table[, manifest])")
        label, table = str(item[0]), item[1]
        if not isinstance(table, pd.DataFrame):
            raise AuditError(f"audit table {label}: expected a DataFrame, got {type(table)}")
        missing = [c for c in _NEEDED if c not in table.columns]
        if missing:
            raise AuditError(f"audit table {label}: column(s) {missing} missing")
        out.append((label, table))
    return out


def _index(sources: list[tuple[str, pd.DataFrame]]) -> pd.DataFrame:
    frames = [t[list(_NEEDED)].assign(source=label) for label, t in sources]
    if not frames:
        return pd.DataFrame(columns=[*_NEEDED, "source"])
    index = pd.concat(frames, ignore_index=True)
    for column in (
        "prediction_id",
        "prediction",
        "record_hash",
        "hash_alg",
        "model_name",
        "model_version",
        "model_fingerprint",
    ):
        index[column] = index[column].astype(str)
    return index


def _recompute(cand: pd.DataFrame, key: bytes | str | None) -> pd.Series:
    """Recompute each candidate's record hash from the probe's inputs and the row's model."""
    computed = pd.Series("", index=cand.index, dtype=object)
    for alg, group in cand.groupby("hash_alg", sort=False):
        sources = sorted(set(group["source"]))
        hasher = Hasher.for_alg(str(alg), key, f"audit table(s) {sources}")
        rows = group[["_ts", "_feat", "model_fingerprint", "prediction", "prediction_id"]]
        texts = [utf8(record_text(*r), f"prediction id {r[4]!r}") for r in rows.itertuples(False)]
        computed.loc[group.index] = hasher.hex_many(texts)
    return computed


def _match(
    ids: list[str], stamps: list[str], features: list[str], tables: Tables, key: bytes | str | None
) -> pd.DataFrame:
    """All (probe row, candidate record) pairs sharing a prediction id, with ``_ok``."""
    probe = pd.DataFrame(
        {"_row": range(len(ids)), "prediction_id": ids, "_ts": stamps, "_feat": features}
    )
    index = _index(_sources(tables))
    cand = probe.merge(index, on="prediction_id", how="inner", sort=False)
    cand["_ok"] = _recompute(cand, key) == cand["record_hash"]
    return cand.sort_values(["_row", "_ok"], ascending=[True, False], kind="stable")


def _own_predictions(df: pd.DataFrame, columns: str | Sequence[str]) -> pd.Series | pd.DataFrame:
    names = [columns] if isinstance(columns, str) else list(columns)
    missing = [c for c in names if c not in df.columns]
    if missing:
        raise AuditError(f"scored file: prediction column(s) {missing} not found")
    return df[columns] if isinstance(columns, str) else df[names]


def decode_prediction(text: str) -> Any:
    """The value behind a canonical prediction text (tagged infinities/timestamps restored)."""
    return json.loads(text, object_hook=_untag)


def _untag(obj: dict[str, Any]) -> Any:
    if len(obj) == 1:
        ((tag, value),) = obj.items()
        if tag == "$float":
            return float(value)
        if tag == "$timestamp":
            return pd.Timestamp(value)
        if tag == "$date":
            return dt.date.fromisoformat(value)
    return obj


def _location(row: Mapping[str, Any]) -> Location:
    return Location(
        str(row["source"]),
        int(row["seq"]),
        row["model_name"],
        row["model_version"],
        row["model_fingerprint"],
    )


def find_record(
    features_row: Mapping[str, Any],
    prediction_id: Any,
    event_timestamp: Any,
    tables: Tables,
    key: bytes | str | None = None,
) -> Match:
    """Look a prediction up in audit tables and check it was made on exactly these inputs.

    ``tables`` is a mapping source label → audit table, or (label, table[, manifest]) tuples
    such as :func:`load_audit_tables` returns. ``features_row`` holds exactly the model's
    feature columns. The hash is recomputed with each candidate row's fingerprint and
    prediction; any changed feature, timestamp or id makes it differ.
    """
    if not isinstance(features_row, Mapping):
        raise AuditError(
            f"features_row: expected a mapping column → value, got {type(features_row).__name__}"
        )
    pid = prediction_id_text(prediction_id, "prediction_id")
    stamp = timestamp_iso(event_timestamp, "event_timestamp")
    cand = _match([pid], [stamp], [mapping_text(features_row, "features_row")], tables, key)
    rows = cand.to_dict("records")
    candidates = tuple(_location(r) for r in rows)
    if not rows:
        return Match("not_found", pid)
    if not rows[0]["_ok"]:
        return Match("inputs_differ", pid, None, candidates)
    return Match(
        "recorded", pid, candidates[0], candidates, decode_prediction(rows[0]["prediction"])
    )


def verify_scored_file(
    df: pd.DataFrame,
    tables: Tables,
    *,
    feature_columns: Sequence[str],
    id_column: str,
    timestamp_column: str,
    key: bytes | str | None = None,
    prediction_columns: str | Sequence[str] | None = None,
) -> ScoredFileReport:
    """:func:`find_record` for every row of a scored file, vectorised and tallied.

    With ``prediction_columns`` the file's own prediction (one column, or a mapping over
    several, as given to ``build_audit``) must also equal the recorded one, else the row is
    ``prediction_differs``.
    """
    from glassbox.audit._build import prediction_texts

    if not isinstance(df, pd.DataFrame):
        raise AuditError(f"scored file: expected a pandas DataFrame, got {type(df).__name__}")
    for column in (id_column, timestamp_column):
        if column not in df.columns:
            raise AuditError(f"scored file: column '{column}' not found")
    ids = prediction_id_texts(df[id_column], id_column)
    stamps = event_timestamp_texts(df[timestamp_column], timestamp_column, ids)
    features = rows_of_mappings(df, list(feature_columns), "scored file features")
    cand = _match(ids, stamps, features, tables, key)
    best = cand.drop_duplicates("_row", keep="first").set_index("_row")
    status = pd.Series("not_found", index=range(len(df)), dtype=object)
    status.loc[best.index] = ["recorded" if ok else "inputs_differ" for ok in best["_ok"]]
    if prediction_columns is not None and len(best):
        own = _own_predictions(df, prediction_columns)
        texts = pd.Series(prediction_texts(own, len(df)), index=range(len(df)))
        differs = best["_ok"] & (texts.loc[best.index] != best["prediction"])
        status.loc[differs[differs].index] = "prediction_differs"
    results = pd.DataFrame({"prediction_id": ids, "status": status.to_numpy()})
    located = best.loc[best["_ok"], _CANDIDATE]
    results = results.join(located, how="left")
    results["seq"] = results["seq"].astype("Int64")
    counts = {
        s: int((results["status"] == s).sum())
        for s in ("recorded", "prediction_differs", "inputs_differ", "not_found")
    }
    return ScoredFileReport(results, counts)
