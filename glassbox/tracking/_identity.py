"""Who ran a step, from which code, on what: the tags every step run carries."""

from __future__ import annotations

import getpass
import hashlib
import os
import subprocess
import uuid
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from glassbox.config import settings

LOCK_FILE = "requirements.lock"


@dataclass(frozen=True)
class Identity:
    """The orchestration identity of this process: an Argo pod, the local executor, or a shell."""

    executor: str  # "argo" | "local" | "direct"
    workflow_name: str
    workflow_uid: str
    pod_name: str
    retry: int

    def tags(self) -> dict[str, str]:
        tags = {
            "glassbox.executor": self.executor,
            "glassbox.workflow_uid": self.workflow_uid,
            "glassbox.workflow_name": self.workflow_name,
        }
        if self.executor == "argo":
            tags |= {
                "argo.workflow.name": self.workflow_name,
                "argo.workflow.uid": self.workflow_uid,
                "argo.node.pod_name": self.pod_name,
                "argo.node.retry": str(self.retry),
            }
        else:
            tags |= {"glassbox.local_run_id": self.workflow_uid, "glassbox.pod_name": self.pod_name}
        return tags


@lru_cache(maxsize=1)
def current_identity() -> Identity:
    """Read the identity the manifest passes through env (``{{workflow.uid}}``, downward API)."""
    uid = os.environ.get("GLASSBOX_WORKFLOW_UID", "")
    if not uid or uid.startswith("{{"):
        # Started by hand (``python -m steps.x``): a one-off local run id.
        uid = f"direct-{uuid.uuid4()}"
        return Identity("direct", uid, uid, os.environ.get("HOSTNAME", "local"), 0)
    executor = os.environ.get("GLASSBOX_EXECUTOR", "argo")
    retry = os.environ.get("GLASSBOX_RETRY", "0")
    return Identity(
        executor=executor,
        workflow_name=os.environ.get("GLASSBOX_WORKFLOW_NAME", uid),
        workflow_uid=uid,
        pod_name=os.environ.get("POD_NAME", os.environ.get("HOSTNAME", "")),
        retry=int(retry) if retry.isdigit() else 0,
    )


def _git(*args: str) -> str | None:
    try:
        out = subprocess.run(["git", *args], capture_output=True, text=True, timeout=10, check=True)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip()


def _sha256_file(path: Path) -> str | None:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None


@lru_cache(maxsize=1)
def code_tags() -> dict[str, str]:
    """Commit (git, else the image's baked-in ``GIT_COMMIT``), dirty flag, lock digest, image."""
    tags: dict[str, str] = {}
    commit = _git("rev-parse", "HEAD")
    if commit:
        tags["mlflow.source.git.commit"] = commit
        status = _git("status", "--porcelain", "--untracked-files=no")
        tags["glassbox.git.dirty"] = "true" if status else "false"
        tags["glassbox.git.source"] = "git"
    elif os.environ.get("GIT_COMMIT"):
        tags["mlflow.source.git.commit"] = os.environ["GIT_COMMIT"]
        tags["glassbox.git.dirty"] = os.environ.get("GIT_DIRTY", "false")
        tags["glassbox.git.source"] = "image"
    else:
        tags["glassbox.git.source"] = "unknown"
    lock = Path(os.environ.get("GLASSBOX_LOCK_FILE", LOCK_FILE))
    digest = _sha256_file(lock)
    if digest:
        tags["glassbox.lock.sha256"] = digest
    if os.environ.get("GLASSBOX_IMAGE"):
        tags["glassbox.image"] = os.environ["GLASSBOX_IMAGE"]
    return tags


def people_tags() -> dict[str, str]:
    """Project, environment and who ran it. On a tracking server with users, ``mlflow.user``
    (the run's user) is the MLflow user the server authenticated, as MLflow's own runs say."""
    conf = settings()
    user = os.environ.get("GLASSBOX_USER") or _user()
    return {
        "glassbox.project": conf.project,
        "glassbox.env": conf.env,
        "glassbox.user": user,
        "mlflow.user": os.environ.get("MLFLOW_TRACKING_USERNAME") or user,
    }


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # a container UID with no passwd entry
        return f"uid-{os.getuid()}"
