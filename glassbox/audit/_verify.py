"""verify_chain: is an audit table exactly the batch its manifest anchors?"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from glassbox.audit._build import TABLE_COLUMNS
from glassbox.audit._chain import LinkFields, genesis, link
from glassbox.audit._encoding import event_timestamp_texts, timestamp_iso
from glassbox.audit._errors import AuditError
from glassbox.audit._hashing import Hasher
from glassbox.audit._manifest import AuditManifest

ProblemKind = Literal[
    "schema",
    "count",
    "genesis",
    "key",  # about the whole batch: listed first
    "edited",
    "dropped",
    "reordered",
    "duplicated",
    "unexpected",
    "model",  # located by seq
    "root",  # about the end of the chain: listed last
]
_BATCH_KINDS = {"schema", "count", "genesis", "key"}


@dataclass(frozen=True)
class ChainProblem:
    """One way the table departs from its manifest, located (seq, prediction_id) if possible."""

    kind: ProblemKind
    message: str
    seq: int | None = None
    prediction_id: str | None = None


@dataclass(frozen=True)
class ChainReport:
    """``ok`` only when every link, the count, the genesis and the root check out.

    ``problems`` lists batch-level problems, then located ones by seq, then the root; at most
    ``max_problems`` of them (``problem_count`` is the total).
    """

    batch_id: str
    rows: int
    problems: tuple[ChainProblem, ...]
    problem_count: int

    @property
    def ok(self) -> bool:
        return self.problem_count == 0

    @property
    def first(self) -> ChainProblem | None:
        """The located problem with the lowest seq: where the chain first breaks."""
        located = [p for p in self.problems if p.seq is not None]
        return located[0] if located else (self.problems[0] if self.problems else None)

    def summary(self) -> str:
        if self.ok:
            return f"batch {self.batch_id}: {self.rows} records, chain intact"
        lines = [f"batch {self.batch_id}: {self.problem_count} problem(s) in {self.rows} records"]
        lines += [f"  - [{p.kind}] {p.message}" for p in self.problems]
        if self.problem_count > len(self.problems):
            lines.append(f"  ... and {self.problem_count - len(self.problems)} more")
        return "\n".join(lines)


def _where(seq: int, pid: str) -> str:
    return f"seq {seq} (prediction_id {pid!r})"


def _runs(seqs: list[int]) -> list[tuple[int, int]]:
    """Sorted ints grouped into (first, last) runs of consecutive values."""
    runs: list[tuple[int, int]] = []
    for s in seqs:
        if runs and s == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], s)
        else:
            runs.append((s, s))
    return runs


def _order_problems(seqs: np.ndarray, ids: list[str]) -> list[ChainProblem]:
    out = []
    for pos in (np.flatnonzero(np.diff(seqs) < 0) + 1).tolist():
        a, b = _where(int(seqs[pos - 1]), ids[pos - 1]), _where(int(seqs[pos]), ids[pos])
        msg = f"{b} is stored after {a}: records reordered"
        out.append(ChainProblem("reordered", msg, int(seqs[pos]), ids[pos]))
    return out


def _membership(order: pd.DataFrame, count: int, out: list[ChainProblem]) -> pd.DataFrame:
    """Report duplicated, unexpected and missing seqs; return one row per valid seq."""
    dup = order["seq"].duplicated(keep="first")
    for seq, pid in order.loc[dup, ["seq", "prediction_id"]].itertuples(index=False):
        out.append(
            ChainProblem("duplicated", f"{_where(seq, pid)} appears more than once", seq, pid)
        )
    order = order.loc[~dup]
    bad = (order["seq"] < 0) | (order["seq"] >= count)
    for seq, pid in order.loc[bad, ["seq", "prediction_id"]].itertuples(index=False):
        msg = f"{_where(seq, pid)} is outside seq 0..{count - 1} of the manifest"
        out.append(ChainProblem("unexpected", msg, seq, pid))
    order = order.loc[~bad]
    missing = np.setdiff1d(np.arange(count), order["seq"].to_numpy()).tolist()
    for first, last in _runs(missing):
        before = order.loc[order["seq"] < first, "prediction_id"].tail(1).tolist()
        after = order.loc[order["seq"] > last, "prediction_id"].head(1).tolist()
        around = (
            f"between {before[0] if before else 'the start'!r} and "
            f"{after[0] if after else 'the end'!r}"
        )
        what = f"seq {first} is" if first == last else f"seqs {first}..{last} are"
        n = last - first + 1
        out.append(
            ChainProblem("dropped", f"{what} missing ({around}): {n} record(s) dropped", first)
        )
    return order


def _broken_links(
    order: pd.DataFrame, stamps: list[str], starts: set[str], hasher: Hasher
) -> tuple[list[tuple[int, str]], int]:
    """(seq, prediction_id) of every link that does not verify, and how many were checked."""
    failed: list[tuple[int, str]] = []
    checked, prev_seq, candidates = 0, -1, starts
    rows = order[["seq", "prediction_id", "record_hash", "chain_hash", "prediction"]]
    for (seq, pid, rh, stored, pred), ts in zip(rows.itertuples(index=False), stamps, strict=True):
        if seq != prev_seq + 1:  # after a reported gap the link has nothing to check against
            prev_seq, candidates = seq, {stored}
            continue
        checked += 1
        fields = LinkFields(rh, pid, ts, str(pred))
        # The next link may verify against the stored or the recomputed hash: whichever of the
        # two was edited, only this record is reported.
        computed = {link(hasher, c, seq, fields) for c in candidates}
        if stored not in computed:
            failed.append((int(seq), pid))
        prev_seq, candidates = seq, {stored} | computed
    return failed, checked


def _edited(failed: list[tuple[int, str]]) -> list[ChainProblem]:
    ids = dict(failed)
    out = []
    for first, last in _runs([s for s, _ in failed]):
        what = _where(first, ids[first])
        if first == last:
            msg = (
                f"{what} does not match its chain link: its record_hash, prediction, "
                "prediction_id, event_timestamp or chain_hash was changed"
            )
        else:
            msg = (
                f"{what} does not match its chain link, nor do the {last - first} records "
                f"after it up to seq {last}: records edited, renumbered or rewritten"
            )
        out.append(ChainProblem("edited", msg, first, ids[first]))
    return out


def _model_problems(table: pd.DataFrame, manifest: AuditManifest) -> list[ChainProblem]:
    expected = {
        "model_name": manifest.model.name,
        "model_version": manifest.model.version,
        "model_fingerprint": manifest.model.fingerprint,
        "hash_alg": manifest.hash_alg,
    }
    out = []
    for column, value in expected.items():
        wrong = table.loc[table[column].astype(str) != value, ["seq", "prediction_id", column]]
        if len(wrong):
            seq, pid, got = wrong.sort_values("seq").iloc[0].tolist()
            others = f" (and {len(wrong) - 1} more records)" if len(wrong) > 1 else ""
            msg = f"{_where(seq, pid)}{others}: {column} is {got!r}, manifest says {value!r}"
            out.append(ChainProblem("model", msg, int(seq), str(pid)))
    return out


def _stamps(order: pd.DataFrame) -> list[str]:
    """Canonical event timestamps; an unreadable one is left to fail its link, not to raise."""
    ids = order["prediction_id"].tolist()
    try:
        return event_timestamp_texts(order["event_timestamp"], "event_timestamp", ids)
    except AuditError:
        out = []
        for pid, value in zip(ids, order["event_timestamp"].tolist(), strict=True):
            try:
                out.append(timestamp_iso(value, pid))
            except AuditError:
                out.append("")
        return out


def _prepare(table: Any) -> pd.DataFrame:
    if not isinstance(table, pd.DataFrame):
        raise AuditError(f"audit table: expected a pandas DataFrame, got {type(table).__name__}")
    missing = [c for c in TABLE_COLUMNS if c not in table.columns]
    if missing:
        raise AuditError(f"audit table: column(s) {missing} missing")
    if not pd.api.types.is_integer_dtype(table["seq"].dtype):
        raise AuditError(f"audit table: column 'seq' must hold integers, not {table['seq'].dtype}")
    frame = table.reset_index(drop=True).copy()
    frame["prediction_id"] = frame["prediction_id"].astype(str)
    return frame


def _chain_problems(
    order: pd.DataFrame, manifest: AuditManifest, hasher: Hasher
) -> list[ChainProblem]:
    expected_start = genesis(manifest.batch_id, manifest.model, hasher)
    failed, checked = _broken_links(
        order, _stamps(order), {manifest.genesis, expected_start}, hasher
    )
    if expected_start == manifest.genesis:
        return _edited(failed)
    if checked and len(failed) == checked:
        return [
            ChainProblem(
                "key",
                "no chain link verifies and the genesis does not derive "
                "from the batch identity: wrong HMAC key, or the table rewritten",
            )
        ]
    msg = (
        f"manifest genesis does not derive from batch id {manifest.batch_id!r} and model "
        f"{manifest.model.name} v{manifest.model.version}: manifest edited"
    )
    return [ChainProblem("genesis", msg), *_edited(failed)]


def verify_chain(
    table: pd.DataFrame,
    manifest: AuditManifest | dict[str, Any],
    key: bytes | str | None = None,
    max_problems: int = 50,
) -> ChainReport:
    """Recheck the chain of an audit table against its manifest and locate every break.

    Detects edited records (a link that does not verify), dropped records (seq gap, count
    mismatch), reordered or duplicated records, a changed model identity and a root or genesis
    that does not match. HMAC tables need the key they were built with.
    """
    manifest = AuditManifest.coerce(manifest)
    frame = _prepare(table)
    hasher = Hasher.for_alg(manifest.hash_alg, key, f"batch {manifest.batch_id}")
    problems: list[ChainProblem] = []
    extra = sorted(set(frame.columns) - set(TABLE_COLUMNS))
    if extra:
        problems.append(
            ChainProblem(
                "schema", f"unexpected column(s) {extra}: an audit table holds no feature data"
            )
        )
    if len(frame) != manifest.count:
        msg = f"table has {len(frame)} records, manifest says {manifest.count}"
        problems.append(ChainProblem("count", msg))
    problems += _order_problems(frame["seq"].to_numpy(), frame["prediction_id"].tolist())
    problems += _model_problems(frame, manifest)
    order = _membership(frame.sort_values("seq", kind="stable"), manifest.count, problems)
    problems += _chain_problems(order, manifest, hasher)
    last = order["chain_hash"].iloc[-1] if len(order) else manifest.genesis
    if last != manifest.root:
        problems.append(
            ChainProblem(
                "root",
                f"last chain hash {last[:12]}… is not the manifest "
                f"root {manifest.root[:12]}…: the end of the batch was "
                "changed or dropped",
            )
        )
    problems.sort(
        key=lambda p: (
            0 if p.kind in _BATCH_KINDS else 2 if p.kind == "root" else 1,
            -1 if p.seq is None else p.seq,
        )
    )
    return ChainReport(manifest.batch_id, len(frame), tuple(problems[:max_problems]), len(problems))
