"""Shared views of the deployment files: the repository, the built overlays, compiled workflows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.deploy._kustomize import build

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "k8s"
BUILDS = {"base": K8S / "base", "dev": K8S / "overlays" / "dev", "prod": K8S / "overlays" / "prod"}

Doc = dict[str, Any]


def load_docs(path: Path) -> list[Doc]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


def by_kind(docs: list[Doc], kind: str) -> list[Doc]:
    return [d for d in docs if d["kind"] == kind]


def one(docs: list[Doc], kind: str, name: str) -> Doc:
    found = [d for d in by_kind(docs, kind) if d["metadata"]["name"] == name]
    assert len(found) == 1, f"expected one {kind} {name}, found {len(found)}"
    return found[0]


def pod_specs(docs: list[Doc]) -> list[tuple[str, Doc]]:
    """(label, pod spec) of every workload object: Deployments, StatefulSets, Jobs."""
    return [
        (f"{d['kind']}/{d['metadata']['name']}", d["spec"]["template"]["spec"])
        for d in docs
        if d["kind"] in {"Deployment", "StatefulSet", "Job", "DaemonSet"}
    ]


def workflow_specs(compiled: list[Doc]) -> list[tuple[str, Doc]]:
    """(name, workflow spec) of each WorkflowTemplate and CronWorkflow (its workflowSpec)."""
    specs = []
    for doc in compiled:
        if doc["kind"] == "WorkflowTemplate":
            specs.append((doc["metadata"]["name"], doc["spec"]))
        elif doc["kind"] == "CronWorkflow":
            specs.append((doc["metadata"]["name"], doc["spec"]["workflowSpec"]))
    return specs


def step_containers(compiled: list[Doc]) -> list[tuple[str, Doc, Doc]]:
    """(label, workflow spec, container) of every container template of the compiled files."""
    return [
        (f"{name}/{template['name']}", spec, template["container"])
        for name, spec in workflow_specs(compiled)
        for template in spec["templates"]
        if "container" in template
    ]


@pytest.fixture(scope="session")
def built() -> dict[str, list[Doc]]:
    """``kustomize build`` of the base and of each overlay."""
    return {name: build(path) for name, path in BUILDS.items()}


@pytest.fixture(scope="session")
def compiled() -> list[Doc]:
    """Every document of the compiled workflows (k8s/workflows/*.yaml)."""
    docs = [d for path in sorted((K8S / "workflows").glob("*.yaml")) for d in load_docs(path)]
    assert docs, "no compiled workflows under k8s/workflows"
    return docs
