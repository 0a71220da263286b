"""The NetworkPolicies of each overlay allow exactly the flows Glassbox needs."""

from __future__ import annotations

import pytest

from tests.deploy._netpol import allowed
from tests.deploy.conftest import Doc, by_kind, one

GLASSBOX = {"app.kubernetes.io/part-of": "glassbox"}
STEP = {"workflows.argoproj.io/workflow": "glassbox-training-x7k2p"}
MLFLOW = {"app.kubernetes.io/name": "mlflow", **GLASSBOX}
POSTGRES = {"app.kubernetes.io/name": "postgres", **GLASSBOX}
BOOTSTRAP = {"app.kubernetes.io/name": "mlflow-bootstrap", **GLASSBOX}
STRANGER = {"app": "debug-shell"}
OUTSIDE = None


def _pod_labels(docs: list[Doc], kind: str, name: str) -> dict[str, str]:
    return dict(one(docs, kind, name)["spec"]["template"]["metadata"]["labels"])


@pytest.mark.parametrize("overlay", ["dev", "prod"])
def test_pods_carry_the_labels_the_policies_select(
    overlay: str, built: dict[str, list[Doc]]
) -> None:
    docs = built[overlay]
    assert _pod_labels(docs, "Deployment", "glassbox-mlflow").items() >= MLFLOW.items()
    assert _pod_labels(docs, "Job", "glassbox-mlflow-bootstrap").items() >= BOOTSTRAP.items()
    if overlay == "dev":
        assert _pod_labels(docs, "StatefulSet", "glassbox-postgres").items() >= POSTGRES.items()


@pytest.mark.parametrize("overlay", ["dev", "prod"])
def test_everything_not_allowed_is_denied(overlay: str, built: dict[str, list[Doc]]) -> None:
    policies = by_kind(built[overlay], "NetworkPolicy")
    deny = one(built[overlay], "NetworkPolicy", "glassbox-default-deny")["spec"]
    assert deny["podSelector"] == {}
    assert set(deny["policyTypes"]) == {"Ingress", "Egress"}
    assert not allowed(policies, STRANGER, MLFLOW, 5000)
    assert not allowed(policies, STEP, POSTGRES, 5432)
    assert not allowed(policies, BOOTSTRAP, POSTGRES, 5432)
    assert not allowed(policies, STEP, MLFLOW, 8080)
    assert not allowed(policies, MLFLOW, STEP, 5000)
    assert not allowed(policies, OUTSIDE, MLFLOW, 5000)
    assert not allowed(policies, BOOTSTRAP, OUTSIDE, 443)
    assert not allowed(policies, MLFLOW, OUTSIDE, 22)


@pytest.mark.parametrize("overlay", ["dev", "prod"])
def test_the_flows_glassbox_needs_are_allowed(overlay: str, built: dict[str, list[Doc]]) -> None:
    policies = by_kind(built[overlay], "NetworkPolicy")
    for pod in (STEP, MLFLOW, POSTGRES, BOOTSTRAP):
        assert allowed(policies, pod, OUTSIDE, 53, "UDP"), f"DNS for {pod}"
    assert allowed(policies, STEP, MLFLOW, 5000)
    assert allowed(policies, BOOTSTRAP, MLFLOW, 5000)
    assert allowed(policies, STEP, OUTSIDE, 443)  # Kubernetes API, Slack, PagerDuty, data
    assert allowed(policies, STEP, OUTSIDE, 6443)
    assert allowed(policies, MLFLOW, OUTSIDE, 443)  # S3


def test_dev_database_is_reachable_from_mlflow_only(built: dict[str, list[Doc]]) -> None:
    policies = by_kind(built["dev"], "NetworkPolicy")
    assert allowed(policies, MLFLOW, POSTGRES, 5432)
    assert not allowed(policies, MLFLOW, OUTSIDE, 5432)
    assert not allowed(policies, OUTSIDE, POSTGRES, 5432)


def test_prod_database_is_outside_and_reachable_from_mlflow_only(
    built: dict[str, list[Doc]],
) -> None:
    policies = by_kind(built["prod"], "NetworkPolicy")
    assert allowed(policies, MLFLOW, OUTSIDE, 5432)
    assert not allowed(policies, STEP, OUTSIDE, 5432)
    assert not allowed(policies, BOOTSTRAP, OUTSIDE, 5432)


def test_steps_may_push_metrics_to_a_pushgateway_in_another_namespace(
    built: dict[str, list[Doc]],
) -> None:
    policy = one(built["prod"], "NetworkPolicy", "glassbox-workflow-egress")["spec"]
    pushgateway = [r for r in policy["egress"] if {"protocol": "TCP", "port": 9091} in r["ports"]]
    assert pushgateway == [
        {"to": [{"namespaceSelector": {}}], "ports": [{"protocol": "TCP", "port": 9091}]}
    ]
