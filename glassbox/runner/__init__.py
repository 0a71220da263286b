"""Local executor of compiled Argo manifests: the embedded default way to run a pipeline.

There is no Kubernetes on a laptop, so the runner executes the compiled manifest itself: for each
DAG task, in dependency order, the exact command and arguments the pod would run, with Argo's
parameter substitution, ``depends``/``when`` logic, ``withItems``/``withParam`` fan-out,
``retryStrategy`` and output parameters (see docs/architecture.md, "How a step runs").

    from glassbox.runner import load_manifests, run_workflow

    result = run_workflow(load_manifests("k8s/workflows"), "training", parameters={"seed": "7"})
    print(result.task("train").outputs["run_id"])
"""

from glassbox.runner._context import ResourceHandler
from glassbox.runner._errors import ManifestError, RunnerError, WorkflowFailed
from glassbox.runner._loading import (
    ManifestDocument,
    Manifests,
    load_manifests,
    manifests_from_documents,
)
from glassbox.runner._results import (
    AttemptResult,
    TaskResult,
    TaskStatus,
    WorkflowResult,
    WorkflowStatus,
)
from glassbox.runner._run import run_workflow

__all__ = [
    "AttemptResult",
    "ManifestDocument",
    "ManifestError",
    "Manifests",
    "ResourceHandler",
    "RunnerError",
    "TaskResult",
    "TaskStatus",
    "WorkflowFailed",
    "WorkflowResult",
    "WorkflowStatus",
    "load_manifests",
    "manifests_from_documents",
    "run_workflow",
]
