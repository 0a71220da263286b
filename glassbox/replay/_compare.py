"""Compare a replayed step run with the recorded one: datasets, model, audit, results."""

from __future__ import annotations

from typing import Any

from glassbox.replay._report import Difference, StepReplay

_TIMING = {"run_time_seconds", "estimated_cost_usd"}
_VERDICT_TAGS = ("glassbox.validation", "glassbox.gate", "glassbox.drift.severity")


def _datasets(run: Any) -> tuple[dict[str, tuple[str, str]], dict[str, tuple[str, str]]]:
    """name -> (digest, source) of a run's inputs and of its outputs."""
    inputs: dict[str, tuple[str, str]] = {}
    outputs: dict[str, tuple[str, str]] = {}
    for entry in run.inputs.dataset_inputs if run.inputs else []:
        tags = {t.key: t.value for t in entry.tags}
        target = outputs if tags.get("mlflow.data.context") == "output" else inputs
        target[entry.dataset.name] = (entry.dataset.digest, entry.dataset.source)
    return inputs, outputs


def current_digest(uri: str) -> str:
    """The MLflow digest of the table stored at a ``runs:/`` URI today."""
    from mlflow.data.pandas_dataset import from_pandas

    from glassbox.data import read_artifact_table

    return str(from_pandas(read_artifact_table(uri)).digest)


def stored_inputs(step: str, run: Any) -> list[Difference]:
    """The run's ``runs:/`` inputs re-read from the artifact store against their digests."""
    import json

    out = []
    inputs, _ = _datasets(run)
    for name, (digest, source) in inputs.items():
        try:
            uri = json.loads(source).get("uri", source)
        except (json.JSONDecodeError, AttributeError):
            uri = source
        if not str(uri).startswith("runs:/"):
            continue
        try:
            now = current_digest(uri)
        except Exception as exc:
            now = f"unreadable ({type(exc).__name__})"
        if now != digest:
            out.append(Difference(step=step, what=f"input dataset {name} ({uri})",
                                  recorded=digest, replayed=now, found_in="store"))  # fmt: skip
    return out


def _compare_sets(
    result: StepReplay, kind: str, recorded: dict[str, tuple[str, str]], got: dict[str, Any]
) -> None:
    for name, (digest, _) in recorded.items():
        now = got.get(name, ("absent", ""))[0]
        if now == digest:
            result.identical.append(f"{kind} dataset {name} digest {digest}")
        else:
            result.differences.append(
                Difference(step=result.step, what=f"{kind} dataset {name}", recorded=digest,
                           replayed=now)
            )  # fmt: skip


def _metrics(result: StepReplay, original: Any, replay: Any) -> None:
    recorded = {k: v for k, v in original.data.metrics.items()
                if not k.startswith("system/") and k not in _TIMING}  # fmt: skip
    wrong = [k for k in sorted(recorded) if replay.data.metrics.get(k) != recorded[k]]
    if wrong:
        key = wrong[0]
        more = f" (and {len(wrong) - 1} more)" if len(wrong) > 1 else ""
        result.differences.append(Difference(
            step=result.step, what=f"metric {key}{more}",
            recorded=repr(recorded[key]), replayed=repr(replay.data.metrics.get(key)),
        ))  # fmt: skip
    elif recorded:
        result.identical.append(f"{len(recorded)} metrics bit-identical")


def _tags(result: StepReplay, original: Any, replay: Any) -> None:
    keys = [*_VERDICT_TAGS, "glassbox.model.fingerprint"]
    for key in keys:
        if key not in original.data.tags:
            continue
        was, now = original.data.tags[key], replay.data.tags.get(key, "absent")
        what = "model fingerprint" if key.endswith("fingerprint") else key
        if was == now:
            result.identical.append(f"{what} {was}")
        else:
            result.differences.append(
                Difference(step=result.step, what=what, recorded=was, replayed=now)
            )


def _audit(result: StepReplay, original: Any, replay: Any) -> None:
    """Record hashes identical, and the replay's chain re-linked under the recorded batch
    identity (batch id and model) ends at the recorded root."""
    from glassbox.audit import Hasher, key_from_env, load_audit_tables
    from glassbox.audit._chain import LinkFields, chain

    if "glassbox.audit.root" not in original.data.tags:
        return
    if "glassbox.audit.root" not in replay.data.tags:
        result.differences.append(Difference(step=result.step, what="audit", recorded="present",
                                             replayed="absent"))  # fmt: skip
        return
    (_, was, manifest), (_, now, _) = load_audit_tables(
        run_ids=[original.info.run_id, replay.info.run_id]
    )
    old, new = was["record_hash"].tolist(), now["record_hash"].tolist()
    if old != new:
        seq = next((i for i, (a, b) in enumerate(zip(old, new, strict=False)) if a != b),
                   min(len(old), len(new)))  # fmt: skip
        result.differences.append(Difference(
            step=result.step, what=f"audit record hash at seq {seq}",
            recorded=old[seq] if seq < len(old) else "absent",
            replayed=new[seq] if seq < len(new) else "absent",
        ))  # fmt: skip
        return
    result.identical.append(f"{len(new)} audit record hashes")
    hasher = Hasher.for_alg(manifest.hash_alg, key_from_env(), "replay audit")
    stamps = [ts.isoformat(timespec="microseconds") for ts in now["event_timestamp"]]
    rows = map(
        LinkFields, new, now["prediction_id"].astype(str), stamps, now["prediction"].astype(str)
    )
    links = chain(hasher, manifest.genesis, rows)
    root = links[-1] if links else manifest.genesis
    if root == manifest.root:
        result.identical.append(f"audit chain root {root} (re-linked under the recorded batch)")
    else:
        result.differences.append(Difference(step=result.step, what="audit chain root",
                                             recorded=manifest.root, replayed=root))  # fmt: skip


def compare(result: StepReplay, original: Any, replay: Any) -> StepReplay:
    """Fill ``result`` with what matched and what did not, in the order a reader checks."""
    result.status = replay.info.status
    if replay.info.status != original.info.status:
        error = replay.data.tags.get("glassbox.error", "")
        result.differences.append(Difference(
            step=result.step, what="run status", recorded=original.info.status,
            replayed=f"{replay.info.status} {error}".strip(),
        ))  # fmt: skip
    was_in, was_out = _datasets(original)
    now_in, now_out = _datasets(replay)
    _compare_sets(result, "input", was_in, now_in)
    _tags(result, original, replay)
    _compare_sets(result, "output", was_out, now_out)
    _audit(result, original, replay)
    _metrics(result, original, replay)
    return result
