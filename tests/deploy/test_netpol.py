"""The NetworkPolicies of each overlay allow exactly the flows Glassbox needs.

Judged by network-config-analyzer (tests/deploy/_nca.py) on the real kustomize output, with the
pods nobody renders added as Argo and a cluster would make them: a workflow step pod (Argo
labels every pod of a workflow with ``workflows.argoproj.io/workflow``), a stray pod in the
namespace, and a Prometheus Pushgateway in namespace ``monitoring``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.deploy._nca import OUTSIDE, Connectivity, analyse
from tests.deploy.conftest import Doc, by_kind, one

pytestmark = pytest.mark.integration

STEP = "glassbox/glassbox-training-x7k2p-train-1234[Pod]"
STRANGER = "glassbox/debug-shell[Pod]"
PUSHGATEWAY = "monitoring/pushgateway[Pod]"
MLFLOW = "glassbox/glassbox-mlflow[Deployment]"
POSTGRES = "glassbox/glassbox-postgres[StatefulSet]"
BOOTSTRAP = "glassbox/glassbox-mlflow-bootstrap[Job]"


def _pod(namespace: str, name: str, labels: dict[str, str]) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": namespace, "labels": labels},
        "spec": {"containers": [{"name": "main", "image": "glassbox-mlops:latest"}]},
    }


CLUSTER = [
    _pod(
        "glassbox",
        "glassbox-training-x7k2p-train-1234",
        {"workflows.argoproj.io/workflow": "glassbox-training-x7k2p"},
    ),
    _pod("glassbox", "debug-shell", {"app": "debug-shell"}),
    {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": "monitoring", "labels": {"kubernetes.io/metadata.name": "monitoring"}},
    },
    _pod("monitoring", "pushgateway", {"app.kubernetes.io/name": "prometheus-pushgateway"}),
]


@pytest.fixture(scope="module")
def connectivity(
    built: dict[str, list[Doc]], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Connectivity]:
    work = tmp_path_factory.mktemp("nca")
    return {name: analyse(built[name], CLUSTER, Path(work / name)) for name in ("dev", "prod")}


def _pod_labels(docs: list[Doc], kind: str, name: str) -> dict[str, str]:
    return dict(one(docs, kind, name)["spec"]["template"]["metadata"]["labels"])


@pytest.mark.parametrize("overlay", ["dev", "prod"])
def test_everything_not_allowed_is_denied(
    overlay: str, built: dict[str, list[Doc]], connectivity: dict[str, Connectivity]
) -> None:
    deny = one(built[overlay], "NetworkPolicy", "glassbox-default-deny")["spec"]
    assert deny["podSelector"] == {}
    assert set(deny["policyTypes"]) == {"Ingress", "Egress"}
    net = connectivity[overlay]
    assert not net.allows(STRANGER, MLFLOW, 5000)
    assert not net.allows(STEP, MLFLOW, 8080)
    assert not net.allows(MLFLOW, STEP, 5000)
    assert not net.allows(OUTSIDE, MLFLOW, 5000)
    assert not net.allows(BOOTSTRAP, OUTSIDE, 443)
    assert not net.allows(MLFLOW, OUTSIDE, 22)
    assert not net.allows(STRANGER, OUTSIDE, 443)
    assert not net.allows(STRANGER, PUSHGATEWAY, 9091)
    assert not net.allows(MLFLOW, PUSHGATEWAY, 9091)


@pytest.mark.parametrize("overlay", ["dev", "prod"])
def test_the_flows_glassbox_needs_are_allowed(
    overlay: str, connectivity: dict[str, Connectivity]
) -> None:
    net = connectivity[overlay]
    pods = [STEP, MLFLOW, BOOTSTRAP] + ([POSTGRES] if overlay == "dev" else [])
    for pod in pods:
        assert net.allows(pod, OUTSIDE, 53, "UDP"), f"DNS for {pod}"
        assert net.allows(pod, OUTSIDE, 53, "TCP"), f"DNS over TCP for {pod}"
    assert net.allows(STEP, MLFLOW, 5000)
    assert net.allows(BOOTSTRAP, MLFLOW, 5000)
    assert net.allows(STEP, OUTSIDE, 443)  # Kubernetes API, Slack, PagerDuty, data
    assert net.allows(STEP, OUTSIDE, 6443)
    assert net.allows(MLFLOW, OUTSIDE, 443)  # S3
    assert net.allows(STEP, PUSHGATEWAY, 9091)  # metrics pushed to another namespace


@pytest.mark.parametrize("overlay", ["dev", "prod"])
def test_inside_the_namespace_only_the_tracking_server_and_database_accept_connections(
    overlay: str, connectivity: dict[str, Connectivity]
) -> None:
    """The whole in-namespace map, not a sample: every other pod-to-pod flow is denied."""
    net = connectivity[overlay]
    inside = {
        (src, dst): {p: ports for p, ports in conns.items() if p in ("TCP", "UDP")}
        for (src, dst), conns in net.allowed.items()
        if src.startswith("glassbox/") and dst.startswith("glassbox/")
    }
    expected = {
        (STEP, MLFLOW): {"TCP": [(5000, 5000)]},
        (BOOTSTRAP, MLFLOW): {"TCP": [(5000, 5000)]},
    }
    if overlay == "dev":
        expected[(MLFLOW, POSTGRES)] = {"TCP": [(5432, 5432)]}
    assert inside == expected


def test_dev_database_is_reachable_from_mlflow_only(connectivity: dict[str, Connectivity]) -> None:
    net = connectivity["dev"]
    assert net.allows(MLFLOW, POSTGRES, 5432)
    for other in (STEP, BOOTSTRAP, STRANGER, OUTSIDE):
        assert not net.allows(other, POSTGRES, 5432), other
    assert not net.allows(MLFLOW, OUTSIDE, 5432)


def test_prod_database_is_outside_and_reachable_from_mlflow_only(
    connectivity: dict[str, Connectivity],
) -> None:
    net = connectivity["prod"]
    assert POSTGRES not in net.endpoints
    assert net.allows(MLFLOW, OUTSIDE, 5432)
    for other in (STEP, BOOTSTRAP, STRANGER):
        assert not net.allows(other, OUTSIDE, 5432), other


@pytest.mark.parametrize("overlay", ["dev", "prod"])
def test_pods_carry_the_labels_the_policies_select(
    overlay: str, built: dict[str, list[Doc]], connectivity: dict[str, Connectivity]
) -> None:
    """The workloads are the analysed endpoints, and the policies select them by these labels."""
    docs = built[overlay]
    workloads = {MLFLOW, BOOTSTRAP} | ({POSTGRES} if overlay == "dev" else set())
    assert workloads <= connectivity[overlay].endpoints
    part_of = {"app.kubernetes.io/part-of": "glassbox"}
    labels = _pod_labels(docs, "Deployment", "glassbox-mlflow")
    assert labels.items() >= {"app.kubernetes.io/name": "mlflow", **part_of}.items()
    labels = _pod_labels(docs, "Job", "glassbox-mlflow-bootstrap")
    assert labels.items() >= {"app.kubernetes.io/name": "mlflow-bootstrap"}.items()
    assert len(by_kind(docs, "NetworkPolicy")) >= 6
