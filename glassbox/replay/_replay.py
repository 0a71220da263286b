"""``replay_step`` / ``replay_pipeline``: check the record, run it again, compare, record."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any, Literal

from glassbox.errors import GlassboxError
from glassbox.replay import _checkout, _lock
from glassbox.replay._checkout import ReplayRefusedError
from glassbox.replay._compare import compare, current_digest, stored_inputs
from glassbox.replay._report import CodeUsed, Difference, ReplayReport, StepReplay
from glassbox.replay._run import REPLAY_OF_TAG, Session, run_step

REPLAY_SUFFIX = "-replay"


def _client() -> Any:
    import mlflow

    from glassbox.tracking import configure

    configure()
    return mlflow.MlflowClient()


def _get(client: Any, run_id: str) -> Any:
    from mlflow.exceptions import MlflowException

    try:
        return client.get_run(run_id)
    except MlflowException:
        raise GlassboxError(f"run {run_id}: not found in the tracking store") from None


def _code(repo: Path, run: Any, at: str | None, allow_dirty: bool) -> tuple[str, str | None]:
    """(commit to run, recorded commit); refuses a dirty or missing recorded commit."""
    tags = run.data.tags
    recorded = tags.get("mlflow.source.git.commit")
    if at is not None:
        return _checkout.resolve(at, repo), recorded
    if not recorded:
        raise ReplayRefusedError(f"run {run.info.run_id} recorded no git commit; use --at REF")
    if tags.get("glassbox.git.dirty") == "true" and not allow_dirty:
        raise ReplayRefusedError(
            f"run {run.info.run_id} ran with uncommitted changes on top of {recorded}: that "
            "code is in no commit (--allow-dirty replays the commit anyway)"
        )
    return _checkout.resolve(recorded, repo), recorded


def _environment_check(code: Path, run: Any, ignore_lock: bool) -> str:
    """Compare the installed distributions with the recorded lock; refuse on a difference."""
    recorded = run.data.tags.get("glassbox.lock.sha256")
    lock = code / "requirements.lock"
    digest = _checkout.sha256_file(lock)
    if recorded is None:
        note = "the run recorded no lock digest"
    elif digest != recorded:
        note = f"the code's requirements.lock (sha256 {digest}) is not the recorded {recorded}"
    else:
        wrong = _lock.differences(lock)
        if not wrong:
            return f"installed distributions match the recorded lock (sha256 {recorded})"
        note = (
            f"installed distributions differ from the recorded lock (sha256 {recorded}): "
            + "; ".join(wrong)
        )
    if not ignore_lock:
        raise ReplayRefusedError(note + " (--ignore-lock replays anyway)")
    return note + " (replayed anyway: --ignore-lock)"


def _steps_of(client: Any, pipeline: Any) -> list[Any]:
    found = client.search_runs(
        [pipeline.info.experiment_id],
        filter_string=(
            f"tags.`mlflow.parentRunId` = '{pipeline.info.run_id}' and "
            "tags.`glassbox.run_kind` = 'step'"
        ),
        order_by=["attributes.start_time ASC"],
        max_results=500,
    )
    return list(found)


def _guard_registry(code: Path, runs: list[Any]) -> None:
    from glassbox.registry import REGISTERED_TAG

    aware = (code / "glassbox" / "replay").is_dir()
    writers = [r for r in runs if r.data.tags.get("glassbox.step") == "register"]
    writers += [r for r in runs if REGISTERED_TAG in r.data.tags and r not in writers]
    if writers and not aware:
        raise ReplayRefusedError(
            "the code to replay predates replay support: its register step would register a "
            "new model version and move the alias; replay other code with --at REF"
        )


def _stored(steps: list[Any]) -> list[Difference]:
    """Every recorded output of the pipeline re-read from the artifact store."""
    out = []
    for run in steps:
        step = run.data.tags.get("glassbox.step", "")
        for entry in run.inputs.dataset_inputs if run.inputs else []:
            tags = {t.key: t.value for t in entry.tags}
            if tags.get("mlflow.data.context") != "output":
                continue
            uri = json.loads(entry.dataset.source).get("uri", "")
            if not uri.startswith("runs:/"):
                continue
            try:
                now = current_digest(uri)
            except Exception as exc:
                now = f"unreadable ({type(exc).__name__})"
            if now != entry.dataset.digest:
                what = f"stored output dataset {entry.dataset.name} ({uri})"
                out.append(Difference(step=step, what=what, recorded=entry.dataset.digest,
                                      replayed=now, found_in="store"))  # fmt: skip
    return out


def _replay(
    runs: list[Any],
    mode: Literal["step", "pipeline"],
    original: Any,
    *,
    at: str | None,
    allow_dirty: bool,
    ignore_lock: bool,
) -> ReplayReport:
    from glassbox.config import settings

    repo = _checkout.repository()
    commit, recorded = _code(repo, original, at, allow_dirty)
    stored = (
        _stored(runs)
        if mode == "pipeline"
        else stored_inputs(runs[0].data.tags.get("glassbox.step", ""), runs[0])
    )
    report = ReplayReport(
        mode=mode,
        original_run_id=original.info.run_id,
        code=CodeUsed(recorded_commit=recorded, replayed_commit=commit, at=at,
                      recorded_lock_sha256=original.data.tags.get("glassbox.lock.sha256")),
        stored=stored,
    )  # fmt: skip
    if stored and mode == "step":
        return report  # the step's own inputs changed: nothing to replay them against
    with tempfile.TemporaryDirectory(prefix="glassbox-replay-") as tmp:
        code = _checkout.add_worktree(repo, commit, Path(tmp) / "code")
        try:
            report.code.lock_note = _environment_check(code, original, ignore_lock)
            _guard_registry(code, runs)
            name = original.data.tags.get("glassbox.workflow_name", "run")
            session = Session(code, settings().tracking.experiment + REPLAY_SUFFIX,
                              f"replay-of-{name}")  # fmt: skip
            for run in runs:
                report.steps.append(_one(session, run))
                if report.steps[-1].replay_run_id is None:
                    break
        finally:
            _checkout.remove_worktree(repo, code)
    _record(report, original)
    return report


def _one(session: Session, run: Any) -> StepReplay:
    step = run.data.tags.get("glassbox.step", "")
    result = StepReplay(step=step, original_run_id=run.info.run_id)
    replay, log = run_step(session, run)
    if replay is None:
        result.status = "did not start"
        result.differences.append(
            Difference(step=step, what="run", recorded=run.info.status, replayed=log[-500:])
        )
        return result
    result.replay_run_id = replay.info.run_id
    return compare(result, run, replay)


def _record(report: ReplayReport, original: Any) -> None:
    """Tag and describe the replay's pipeline run; close it; attach the report."""
    import mlflow

    from glassbox.tracking._describe import NOTE_TAG, run_link

    client = mlflow.MlflowClient()
    first = next((s.replay_run_id for s in report.steps if s.replay_run_id), None)
    if first is None:
        return
    parent = client.get_run(first).data.tags.get("mlflow.parentRunId")
    if not parent:
        return
    report.replay_pipeline_run_id = parent
    found = report.first_difference
    link = run_link(str(original.info.experiment_id), original.info.run_id, "recorded run")
    note = (
        f"**Replay** of the {link} at commit `{report.code.replayed_commit[:12]}`: "
        f"**{report.verdict}**." + (f"\n\nFirst difference: {found.describe()}" if found else "")
    )
    tags = {
        REPLAY_OF_TAG: original.info.run_id,
        "glassbox.replay.verdict": report.verdict,
        "glassbox.replay.commit": report.code.replayed_commit,
        "glassbox.replay.first_difference": found.describe()[:4000] if found else "",
        NOTE_TAG: note,
    }
    for key, value in tags.items():
        client.set_tag(parent, key, value)
    client.log_text(parent, report.model_dump_json(indent=2), "replay/report.json")
    failed = any(s.status != "FINISHED" for s in report.steps)
    client.set_terminated(parent, "FAILED" if failed else "FINISHED")


def replay_step(
    run_id: str, *, at: str | None = None, allow_dirty: bool = False, ignore_lock: bool = False
) -> ReplayReport:
    """Replay one step run and compare what it produces with what was recorded."""
    client = _client()
    run = _get(client, run_id)
    if run.data.tags.get("glassbox.run_kind") != "step":
        raise GlassboxError(f"run {run_id} is not a step run (use --pipeline for a pipeline run)")
    return _replay([run], "step", run, at=at, allow_dirty=allow_dirty, ignore_lock=ignore_lock)


def replay_pipeline(
    run_id: str, *, at: str | None = None, allow_dirty: bool = False, ignore_lock: bool = False
) -> ReplayReport:
    """Replay every step of a pipeline run, in order, each reading the replayed outputs."""
    client = _client()
    run = _get(client, run_id)
    if run.data.tags.get("glassbox.run_kind") == "step":
        run = _get(client, run.data.tags.get("mlflow.parentRunId", ""))
    steps = _steps_of(client, run)
    if not steps:
        raise GlassboxError(f"pipeline run {run.info.run_id} has no step runs")
    commits = {s.data.tags.get("mlflow.source.git.commit") for s in steps}
    if at is None and len(commits) > 1:
        raise ReplayRefusedError(
            f"the steps of pipeline run {run.info.run_id} ran different commits "
            f"({', '.join(sorted(c or '?' for c in commits))}): replay them one by one, or "
            "all with --at REF"
        )
    return _replay(steps, "pipeline", run, at=at, allow_dirty=allow_dirty, ignore_lock=ignore_lock)
