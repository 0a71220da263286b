"""The run description MLflow shows on a run's page (tag ``mlflow.note.content``, Markdown):
what the step consumed and produced, in words, with links to the producing runs, the model
version and the audit manifest, so the UI tells the story without the CLI."""

from __future__ import annotations

from typing import Any

NOTE_TAG = "mlflow.note.content"


def run_link(experiment_id: str, run_id: str, label: str) -> str:
    return f"[{label}](#/experiments/{experiment_id}/runs/{run_id})"


def _short(digest: str) -> str:
    return digest[:12]


def _inputs(run: Any, client: Any, experiment_id: str) -> tuple[list[str], list[str]]:
    consumed, produced = [], []
    for entry in run.inputs.dataset_inputs if run.inputs else []:
        ds = entry.dataset
        tags = {t.key: t.value for t in entry.tags}
        context = tags.get("mlflow.data.context", "")
        if context == "output":
            produced.append(f"- produced dataset `{ds.name}` (digest `{_short(ds.digest)}`)")
            continue
        producer = tags.get("glassbox.produced_by_run", "")
        step = tags.get("glassbox.produced_by_step") or "step"
        origin = "read from its source"
        if producer:
            exp = _experiment_of(client, producer) or experiment_id
            origin = f"produced by the {run_link(exp, producer, f'{step} run {producer[:8]}')}"
        consumed.append(
            f"- consumed dataset `{ds.name}` (digest `{_short(ds.digest)}`, {context}), {origin}"
        )
    return consumed, produced


def _experiment_of(client: Any, run_id: str) -> str | None:
    try:
        return str(client.get_run(run_id).info.experiment_id)
    except Exception:
        return None


def _model(tags: dict[str, str], experiment_id: str, client: Any) -> list[str]:
    lines = []
    name, version = tags.get("glassbox.model.name"), tags.get("glassbox.model.version")
    fingerprint = tags.get("glassbox.model.fingerprint")
    if name and version:
        link = f"[{name} version {version}](#/models/{name}/versions/{version})"
        lines.append(f"- model {link}, fingerprint `{_short(fingerprint or '')}`")
    elif fingerprint:
        lines.append(f"- trained a model with fingerprint `{_short(fingerprint)}`")
    train = tags.get("glassbox.model.run_id")
    if train:
        exp = _experiment_of(client, train) or experiment_id
        lines.append(
            f"- the model was trained in the {run_link(exp, train, f'train run {train[:8]}')}"
        )
    return lines


def _facts(tags: dict[str, str], run_id: str, experiment_id: str) -> list[str]:
    lines = []
    if "glassbox.audit.root" in tags:
        manifest = (
            f"#/experiments/{experiment_id}/runs/{run_id}/artifacts/audit/audit_manifest.json"
        )
        lines.append(
            f"- audited {tags.get('glassbox.audit.count', '?')} predictions "
            f"({tags.get('glassbox.audit.hash_alg', 'sha256')}, chain root "
            f"`{_short(tags['glassbox.audit.root'])}`): [audit manifest]({manifest})"
        )
    for tag, words in (
        ("glassbox.gate", "promotion gate"),
        ("glassbox.validation", "data contract validation"),
        ("glassbox.drift.severity", "drift severity"),
    ):
        if tag in tags:
            lines.append(f"- {words}: **{tags[tag]}**")
    if "glassbox.error" in tags:
        lines.append(f"- failed: {tags['glassbox.error'][:500]}")
    return lines


def describe(run: Any, tags: dict[str, str], client: Any) -> str:
    """Markdown for the run page: code, inputs, outputs, model, audit, verdicts."""
    experiment_id = str(run.info.experiment_id)
    step = tags.get("glassbox.step", run.info.run_name or "step")
    parent = tags.get("mlflow.parentRunId")
    header = f"**{step}** step"
    if parent:
        header += f" of the {run_link(experiment_id, parent, 'pipeline run')}"
    commit = tags.get("mlflow.source.git.commit")
    if commit:
        dirty = " (uncommitted changes)" if tags.get("glassbox.git.dirty") == "true" else ""
        header += f", code at commit `{commit[:12]}`{dirty}"
    lock = tags.get("glassbox.lock.sha256")
    if lock:
        header += f", lock sha256 `{_short(lock)}`"
    consumed, produced = _inputs(run, client, experiment_id)
    body = consumed + produced + _model(tags, experiment_id, client)
    body += _facts(tags, run.info.run_id, experiment_id)
    return "\n".join([header + ".", "", *body]) if body else header + "."
