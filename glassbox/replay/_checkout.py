"""The code a replay runs: a git worktree of the recorded commit (or of ``--at REF``)."""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

from glassbox.errors import GlassboxError


class ReplayRefusedError(GlassboxError):
    """The replay cannot be faithful (missing commit, other lock, dirty record) and was not
    told to go on."""


def git(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )


def repository() -> Path:
    out = git("rev-parse", "--show-toplevel")
    if out.returncode != 0:
        raise GlassboxError("glassbox replay runs inside the project's git repository")
    return Path(out.stdout.strip())


def resolve(ref: str, repo: Path) -> str:
    """The full commit id of ``ref``; a clear error when the repository does not have it."""
    out = git("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", cwd=repo)
    if out.returncode != 0:
        raise ReplayRefusedError(
            f"commit {ref} is not in the repository at {repo}: fetch it (git fetch origin "
            f"{ref}) or replay other code with --at REF"
        )
    return out.stdout.strip()


def add_worktree(repo: Path, commit: str, where: Path) -> Path:
    out = git("worktree", "add", "--detach", str(where), commit, cwd=repo)
    if out.returncode != 0:
        raise GlassboxError(f"git worktree add {commit}: {out.stderr.strip()}")
    return where


def remove_worktree(repo: Path, where: Path) -> None:
    git("worktree", "remove", "--force", str(where), cwd=repo)


def sha256_file(path: Path) -> str | None:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None
