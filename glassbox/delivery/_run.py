"""``glassbox canary analyze`` as a library call: gather the evidence (shadow log or
Prometheus), analyse, record the analysis as an MLflow run, and optionally act on the verdict.

Waiting (``wait``) is for *sample size* only: the analysis is repeated until every required
criterion has its minimum samples (or the time is up), and the verdict is taken once then.
Stopping at the first look that happens to show a difference would spend the false-rollback
rate again at every look.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from glassbox.delivery._errors import AnalysisInputError, DeliveryError

if TYPE_CHECKING:
    import pandas as pd

    from glassbox.config import Settings
    from glassbox.delivery._analysis import CanaryAnalysis
    from glassbox.delivery._evidence import Evidence
    from glassbox.delivery._lifecycle import Lifecycle

RUN_KIND = "canary_analysis"


@dataclass(frozen=True)
class AnalyzeOptions:
    shadow: tuple[Path, ...] = ()
    prometheus: str | None = None
    model: str | None = None
    champion_version: str | None = None
    challenger_version: str | None = None
    window: str | None = None
    at: str | None = None
    targets: str | None = None
    record: bool = True
    apply: bool = False
    wait: float = 0.0
    poll: float = 30.0


@dataclass
class AnalyzeResult:
    analysis: CanaryAnalysis
    notes: list[str] = field(default_factory=list)


def run_analysis(options: AnalyzeOptions) -> AnalyzeResult:
    from glassbox.config import settings
    from glassbox.delivery._analysis import analyze
    from glassbox.delivery._lifecycle import Lifecycle
    from glassbox.tracking import configure

    conf = settings()
    configure()
    model = options.model or conf.tracking.registered_model
    life = Lifecycle.from_settings(conf.delivery, model, conf.tracking.champion_alias)
    deadline = time.monotonic() + max(options.wait, 0.0)
    while True:
        evidence = _evidence(options, conf, life)
        analysis = analyze(evidence, conf.delivery.analysis)
        if not _short_of_samples(analysis) or time.monotonic() + options.poll > deadline:
            break
        time.sleep(max(options.poll, 0.1))
    result = AnalyzeResult(analysis)
    if options.record:
        analysis = analysis.model_copy(update={"run_id": record_analysis(analysis, life)})
        result = AnalyzeResult(analysis, [f"analysis recorded: MLflow run {analysis.run_id}"])
    if options.apply:
        result.notes.extend(apply_verdict(analysis, life))
    return result


def _short_of_samples(analysis: CanaryAnalysis) -> bool:
    return any(c.required and c.status in ("insufficient", "skipped") for c in analysis.criteria)


def _evidence(options: AnalyzeOptions, conf: Settings, life: Lifecycle) -> Evidence:
    if options.shadow:
        return _shadow_evidence(options, conf, life.model)
    from glassbox.delivery._prometheus import PrometheusClient, prometheus_evidence

    prom = conf.delivery.prometheus
    champion = options.champion_version or life.version_of(life.champion_alias)
    challenger = options.challenger_version or life.version_of(life.challenger_alias)
    if champion is None or challenger is None:
        missing = life.champion_alias if champion is None else life.challenger_alias
        raise DeliveryError(
            f"registered model '{life.model}' has no '@{missing}' version: give "
            f"--{'champion' if champion is None else 'challenger'}-version"
        )
    client = PrometheusClient(options.prometheus or prom.url, prom.timeout_seconds)
    at = _parse_time(options.at) if options.at else None
    return prometheus_evidence(
        client, prom, life.model, champion, challenger, at=at, window=options.window
    )


def _shadow_evidence(options: AnalyzeOptions, conf: Settings, model: str) -> Evidence:
    from glassbox.delivery._evidence import from_shadow
    from glassbox.delivery._shadow import read_shadow_log

    log = read_shadow_log(options.shadow)
    if len(log) and model not in set(log.frame["model"].astype(str)):
        found = ", ".join(sorted(set(log.frame["model"].astype(str))))
        raise AnalysisInputError(f"the shadow log has no record of model '{model}' (has {found})")
    log = type(log)(log.frame[log.frame["model"] == model].reset_index(drop=True), log.files)
    selected = log.select(options.champion_version, options.challenger_version)
    spec = conf.data.targets if options.targets is None else options.targets
    if spec.strip().lower() in ("", "none"):
        return from_shadow(selected, None, note="no targets given (--targets none)")
    if conf.data.id_column is None:
        note = "data.id_column is not set: delayed targets cannot be joined to predictions"
        return from_shadow(selected, None, note=note)
    return from_shadow(selected, _targets(spec, conf.data.id_column, conf.data.target_column))


def _targets(spec: str, id_column: str, target_column: str) -> pd.DataFrame:
    from glassbox.data import read_source
    from glassbox.delivery._evidence import targets_frame
    from glassbox.errors import GlassboxError

    try:
        raw, _ = read_source(spec, "targets")
    except GlassboxError as exc:
        raise AnalysisInputError(f"targets {spec}: {exc}") from None
    return targets_frame(raw, id_column, target_column)


def _parse_time(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise AnalysisInputError(
            f"--at {text!r}: expected an ISO time such as 2024-05-01T12:00:00Z"
        ) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def record_analysis(analysis: CanaryAnalysis, life: Lifecycle) -> str:
    """An MLflow run in the delivery experiment: tags, metrics, ``analysis.json``."""
    import mlflow
    from mlflow.entities import Metric, RunTag

    from glassbox.delivery._records import experiment_id
    from glassbox.tracking import code_tags, current_identity, people_tags

    client = mlflow.MlflowClient()
    tags = {
        "glassbox.run_kind": RUN_KIND,
        "glassbox.model.name": analysis.model,
        "glassbox.canary.champion_version": analysis.champion_version,
        "glassbox.canary.challenger_version": analysis.challenger_version,
        "glassbox.canary.source": analysis.source,
        "glassbox.canary.verdict": analysis.verdict,
        "glassbox.canary.reasons": "; ".join(analysis.reasons)[:4900],
        "mlflow.source.name": "glassbox canary analyze",
    } | code_tags() | people_tags() | current_identity().tags()  # fmt: skip
    name = (
        f"{analysis.model}: canary v{analysis.challenger_version} vs v{analysis.champion_version}"
    )
    run = client.create_run(experiment_id(life.experiment), run_name=name, tags=tags)
    run_id = str(run.info.run_id)
    stamp = int(analysis.created_at.timestamp() * 1000)
    metrics = [Metric(k, v, stamp, 0) for k, v in analysis.metrics().items()]
    client.log_batch(run_id, metrics=metrics[:1000], tags=[RunTag("glassbox.canary.run", run_id)])
    recorded = analysis.model_copy(update={"run_id": run_id})
    client.log_text(run_id, recorded.model_dump_json(indent=2), "analysis.json")
    client.set_terminated(run_id, "FINISHED")
    return run_id


def apply_verdict(analysis: CanaryAnalysis, life: Lifecycle) -> list[str]:
    """promote -> promote the challenger; rollback -> reject it (or, once it is already the
    champion, roll back to the champion it was compared with); continue -> nothing."""
    from glassbox.config import settings
    from glassbox.delivery._lifecycle import announce, promote, reject, rollback

    if analysis.verdict == "continue":
        return ["verdict continue: no alias moved"]
    reason = f"canary analysis ({analysis.source}): {analysis.verdict}: " + "; ".join(
        analysis.reasons
    )
    champion = life.version_of(life.champion_alias)
    challenger = life.version_of(life.challenger_alias)
    version = analysis.challenger_version
    if analysis.verdict == "promote":
        if champion == version:
            return [f"verdict promote: v{version} is already the champion; no alias moved"]
        move = promote(life, reason, version=version, analysis=analysis)
    elif challenger == version:
        move = reject(life, reason, analysis=analysis)
    elif champion == version:
        move = rollback(life, reason, to=analysis.champion_version, analysis=analysis)
    else:
        return [f"verdict rollback: v{version} holds no alias any more; no alias moved"]
    conf = settings()
    severity = conf.delivery.severity(move.action)
    return [
        f"{move.describe()} (decision run {move.run_id})",
        announce(move, severity, conf.alerts),
    ]
