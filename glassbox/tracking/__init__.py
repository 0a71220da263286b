"""MLflow run context for pipeline steps: store, identity tags, seeds, batching, cost.

``step_run`` is the one way a step talks to MLflow: it resolves the store (embedded SQLite by
default), finds or creates the pipeline run for the workflow, starts (or, on a retry, resumes)
the step's nested run with system metrics on, tags it with the glass-box record and flushes
everything the step logged in batches when it ends.
"""

from glassbox.tracking._access import access_errors, auth_client, check_write_access
from glassbox.tracking._context import StepContext, step_run
from glassbox.tracking._identity import Identity, code_tags, current_identity, people_tags
from glassbox.tracking._seeds import seed_everything
from glassbox.tracking._store import (
    artifact_root,
    configure,
    ensure_experiment,
    glassbox_home,
    run_url,
    tracking_uri,
)

__all__ = [
    "Identity",
    "StepContext",
    "access_errors",
    "artifact_root",
    "auth_client",
    "check_write_access",
    "code_tags",
    "configure",
    "current_identity",
    "ensure_experiment",
    "glassbox_home",
    "people_tags",
    "run_url",
    "seed_everything",
    "step_run",
    "tracking_uri",
]
