"""Build and send a step's START / COMPLETE / FAIL events; a lineage failure never fails a step
(it is tagged on the run instead: ``glassbox.openlineage.error``)."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from glassbox.openlineage._events import (
    INTEGRATION,
    datasets,
    namespace,
    producer,
    run_uuid,
)

if TYPE_CHECKING:
    from glassbox.tracking import StepContext

ERROR_TAG = "glassbox.openlineage.error"


@lru_cache(maxsize=1)
def _client() -> Any:
    from glassbox.openlineage._client import client

    return client()


@lru_cache(maxsize=1)
def _repository_url() -> str:
    """The git remote (as a URI), else the checkout as a file URI, else the image's source."""
    try:
        out = subprocess.run(
            ["git", "config", "--get", "remote.origin.url"],
            capture_output=True, text=True, timeout=5, check=False,
        )  # fmt: skip
        remote = out.stdout.strip()
        top = subprocess.run(
            ["git", "rev-parse", "--show-toplevel"],
            capture_output=True, text=True, timeout=5, check=False,
        ).stdout.strip()  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        remote, top = "", ""
    if remote and "://" not in remote and ":" in remote:  # git@host:org/repo.git
        host, _, path = remote.partition(":")
        remote = f"ssh://{host}/{path}"
    if remote:
        return remote
    if top:
        return f"file://{top}"
    return os.environ.get("GLASSBOX_SOURCE_URL", "urn:glassbox:source")


def _job(ctx: StepContext, tags: dict[str, str]) -> Any:
    from openlineage.client.event_v2 import Job
    from openlineage.client.generated.job_type_job import JobTypeJobFacet
    from openlineage.client.generated.source_code_location_job import (
        SourceCodeLocationJobFacet,
    )

    pipeline = tags.get("glassbox.pipeline", "training")
    facets: dict[str, Any] = {
        "jobType": JobTypeJobFacet(processingType="BATCH", integration=INTEGRATION, jobType="STEP")
    }
    commit = tags.get("mlflow.source.git.commit")
    if commit:
        facets["sourceCodeLocation"] = SourceCodeLocationJobFacet(
            type="git", url=_repository_url(), path=f"steps/{ctx.step}.py", version=commit
        )
    return Job(namespace=namespace(), name=f"{pipeline}.{ctx.step}", facets=facets)


def _run(ctx: StepContext, tags: dict[str, str], error: BaseException | None) -> Any:
    from openlineage.client.event_v2 import Run
    from openlineage.client.generated import parent_run
    from openlineage.client.generated.error_message_run import ErrorMessageRunFacet
    from openlineage.client.generated.processing_engine_run import ProcessingEngineRunFacet

    pipeline = tags.get("glassbox.pipeline", "training")
    parent_id = run_uuid(ctx.pipeline_run_id)
    facets: dict[str, Any] = {
        "parent": parent_run.ParentRunFacet(
            run=parent_run.Run(runId=parent_id),
            job=parent_run.Job(namespace=namespace(), name=pipeline),
            root=parent_run.Root(
                run=parent_run.RootRun(runId=parent_id),
                job=parent_run.RootJob(namespace=namespace(), name=pipeline),
            ),
        ),
        "processing_engine": ProcessingEngineRunFacet(
            version=producer().rsplit(":", 1)[-1], name="glassbox"
        ),
    }
    if error is not None:
        facets["errorMessage"] = ErrorMessageRunFacet(
            message=f"{type(error).__name__}: {error}"[:4000], programmingLanguage="python"
        )
    return Run(runId=run_uuid(ctx.run_id), facets=facets)


def _emit(ctx: StepContext, state: str, error: BaseException | None = None) -> None:
    import mlflow
    from openlineage.client.event_v2 import RunEvent, RunState

    client = mlflow.MlflowClient()
    try:
        run = client.get_run(ctx.run_id)
        tags = run.data.tags | ctx.pending_tags()
        inputs, outputs = ([], []) if state == "START" else datasets(run, client, ctx.annotations)
        event = RunEvent(
            eventType=RunState[state],
            eventTime=dt.datetime.now(dt.UTC).isoformat(),
            run=_run(ctx, tags, error),
            job=_job(ctx, tags),
            inputs=inputs,
            outputs=outputs,
            producer=producer(),
        )
        _client().emit(event)
    except Exception as exc:
        message = f"OpenLineage {state} event not sent: {type(exc).__name__}: {exc}"
        print(f"{ctx.step}: warning: {message}", file=sys.stderr)
        client.set_tag(ctx.run_id, ERROR_TAG, message[:4000])


def emit_start(ctx: StepContext) -> None:
    _emit(ctx, "START")


def emit_complete(ctx: StepContext) -> None:
    _emit(ctx, "COMPLETE")


def emit_fail(ctx: StepContext, error: BaseException) -> None:
    _emit(ctx, "FAIL", error)
