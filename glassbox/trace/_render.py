"""The trace as text: one block per hop, prediction first, raw sources last."""

from __future__ import annotations

import json

from glassbox.trace._models import DatasetLink, RunRecord, Trace


def _code(run: RunRecord) -> str:
    commit = run.commit or "unknown commit"
    state = {True: "dirty", False: "clean", None: "dirty flag unknown"}[run.dirty]
    source = f" ({run.code_source})" if run.code_source and run.code_source != "git" else ""
    image = run.image or "none recorded (local run)"
    return (
        f"    code:  commit {commit} [{state}]{source}, lock sha256 {run.lock_sha256 or '-'}\n"
        f"    image: {image}"
    )


def _run(label: str, run: RunRecord) -> list[str]:
    seed = f", seed {run.seed}" if run.seed else ""
    return [
        f"{label}: {run.step} run {run.run_id} [{run.status}] started {run.start_time}{seed}",
        _code(run),
    ]


def _uri(source: str) -> str:
    try:
        data = json.loads(source)
    except json.JSONDecodeError:
        return source
    return str(data.get("uri", source)) if isinstance(data, dict) else source


def _dataset(link: DatasetLink) -> str:
    origin = (
        f"<- {link.produced_by.step} run {link.produced_by.run_id}"
        if link.produced_by
        else f"<- source {_uri(link.source)}"
    )
    return f"    consumed {link.name} (digest {link.digest}, {link.context}) {origin}"


def render(t: Trace) -> str:
    p, m, c = t.prediction, t.model, t.chain
    chain = "intact" if c.ok else "BROKEN: " + "; ".join(c.problems[:3])
    match = "=" if m.fingerprint_matches else "!="
    lines = [
        f"prediction {p.prediction_id}: {json.dumps(p.prediction)} at {p.event_timestamp}",
        f"    record {p.record_hash} ({p.hash_alg}, found by {p.matched_by})",
        f"    seq {p.seq} of {c.records} in score run {t.score_run.run_id}; chain {chain}; "
        f"root {c.root}",
        f"model: {m.name} v{m.version}, fingerprint {m.fingerprint} "
        f"{match} training run's {m.training_fingerprint or '(none recorded)'}",
    ]
    runs = [("scored by", t.score_run)]
    if t.training_run:
        runs.append(("trained by", t.training_run))
    for label, run in runs:
        lines += _run(label, run)
        lines += [_dataset(d) for d in t.datasets if d.consumer_run_id == run.run_id]
    shown = {t.score_run.run_id} | ({t.training_run.run_id} if t.training_run else set())
    upstream: dict[str, RunRecord] = {}
    for d in t.datasets:
        if d.produced_by and d.produced_by.run_id not in shown:
            upstream.setdefault(d.produced_by.run_id, d.produced_by)
    for run in upstream.values():
        lines += _run("upstream", run)
        lines += [_dataset(d) for d in t.datasets if d.consumer_run_id == run.run_id]
    if t.pipeline_run:
        pr = t.pipeline_run
        lines.append(
            f"pipeline: run {pr.run_id} [{pr.status}], workflow {pr.workflow_name} "
            f"(uid {pr.workflow_uid}), executor {pr.executor}"
        )
    if t.other_matches:
        lines.append(f"also recorded as (run:seq): {', '.join(t.other_matches)}")
    return "\n".join(lines)
