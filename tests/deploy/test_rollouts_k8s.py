"""k8s/rollouts against k8s/serving: the Rollout REPLACES the serving Deployment (one definition
of the serving pods per kustomization), runs the same pods (labels, port, service account,
probes, volumes, Secret keys), and the Service, HPA, PDB, NetworkPolicy and ServiceMonitor of
k8s/serving and k8s/prometheus select it; its analyses query metric families ``glassbox
serve`` exposes. Rendered by the real kustomize; the Rollout and AnalysisTemplates linted by
``glassbox lint`` (strict CRD schemas + controller checks), every other object strictly
validated against the upstream Kubernetes schemas."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from glassbox.manifests import lint_paths, validate_k8s_object
from glassbox.observability import metric_names
from tests.deploy._kustomize import build
from tests.deploy.conftest import K8S, Doc, one

# What a pinned ReplicaSet has that the alias-following Deployment has not (and nothing else).
PINNED_ENV = {"GLASSBOX_MODEL_VERSION", "GLASSBOX_SERVING__FOLLOW_ALIAS",
              "GLASSBOX_SERVING__SHADOW__ENABLED"}  # fmt: skip


@pytest.fixture(scope="module")
def rollouts() -> list[Doc]:
    return build(K8S / "rollouts")


@pytest.fixture(scope="module")
def serving() -> list[Doc]:
    return build(K8S / "serving")


def _pod(doc: Doc) -> Doc:
    return copy.deepcopy(doc["spec"]["template"])


def test_the_rollout_replaces_the_deployment_and_keeps_the_rest(
    rollouts: list[Doc], serving: list[Doc]
) -> None:
    kinds = {(d["kind"], d["metadata"]["name"]) for d in rollouts}
    assert ("Deployment", "glassbox-serving") not in kinds
    assert ("Rollout", "glassbox-serving") in kinds
    kept = {(d["kind"], d["metadata"]["name"]) for d in serving} - {
        ("Deployment", "glassbox-serving")
    }
    assert kept <= kinds
    workloads = [d for d in rollouts if d["kind"] in ("Deployment", "StatefulSet", "Rollout")]
    assert [w["metadata"]["name"] for w in workloads] == ["glassbox-serving"]
    hpa = one(rollouts, "HorizontalPodAutoscaler", "glassbox-serving")
    assert hpa["spec"]["scaleTargetRef"] == {
        "apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout", "name": "glassbox-serving",
    }  # fmt: skip


def test_the_rollout_runs_the_deployments_pods_pinned_to_a_version(
    rollouts: list[Doc], serving: list[Doc]
) -> None:
    rollout, deployment = (
        one(rollouts, "Rollout", "glassbox-serving"),
        one(serving, "Deployment", "glassbox-serving"),
    )
    assert rollout["spec"]["selector"] == deployment["spec"]["selector"]
    pinned, following = _pod(rollout), _pod(deployment)
    assert pinned["metadata"]["labels"].pop("model-version").isdigit()
    container = pinned["spec"]["containers"][0]
    assert container.pop("args") == [
        "--model",
        "models:/car-loan-default/$(GLASSBOX_MODEL_VERSION)",
    ]
    env = {e["name"]: e for e in container["env"]}
    assert env["GLASSBOX_MODEL_VERSION"]["valueFrom"]["fieldRef"]["fieldPath"] == (
        "metadata.labels['model-version']"
    )
    assert env["GLASSBOX_SERVING__FOLLOW_ALIAS"]["value"] == "false"
    container["env"] = [e for e in container["env"] if e["name"] not in PINNED_ENV]
    assert pinned == following  # everything else: the same pods


def test_service_pdb_policy_and_servicemonitor_select_the_rollouts_pods(
    rollouts: list[Doc],
) -> None:
    rollout = one(rollouts, "Rollout", "glassbox-serving")
    labels = rollout["spec"]["template"]["metadata"]["labels"]
    service = one(rollouts, "Service", "glassbox-serving")
    selectors = {
        "Service": service["spec"]["selector"],
        "PodDisruptionBudget": one(rollouts, "PodDisruptionBudget", "glassbox-serving")["spec"][
            "selector"
        ]["matchLabels"],
        "NetworkPolicy": one(rollouts, "NetworkPolicy", "glassbox-serving")["spec"]["podSelector"][
            "matchLabels"
        ],
    }
    for kind, selector in selectors.items():
        assert selector.items() <= labels.items(), kind
    (port,) = rollout["spec"]["template"]["spec"]["containers"][0]["ports"]
    assert (port["name"], port["containerPort"]) == ("http", 8080)
    assert service["spec"]["ports"][0]["targetPort"] == "http"
    policy = one(rollouts, "NetworkPolicy", "glassbox-serving")
    assert {p["port"] for rule in policy["spec"]["ingress"] for p in rule["ports"]} == {8080}
    (monitor,) = [
        d for d in yaml.safe_load_all((K8S / "prometheus" / "servicemonitor.yaml").read_text()) if d
    ]
    assert (
        monitor["spec"]["selector"]["matchLabels"].items() <= service["metadata"]["labels"].items()
    )
    assert {e["port"] for e in monitor["spec"]["endpoints"]} == {"http"}


def test_every_secret_key_the_rollout_reads_is_one_k8s_serving_reads(
    rollouts: list[Doc], serving: list[Doc]
) -> None:
    def keys(doc: Doc) -> set[tuple[str, str]]:
        out = set()
        for container in doc["spec"]["template"]["spec"]["containers"]:
            for env in container.get("env", []):
                ref = env.get("valueFrom", {}).get("secretKeyRef")
                if ref:
                    out.add((ref["name"], ref["key"]))
        return out

    rollout = keys(one(rollouts, "Rollout", "glassbox-serving"))
    assert rollout and rollout == keys(one(serving, "Deployment", "glassbox-serving"))


def test_the_analyses_query_families_the_server_exposes_on_its_predict_endpoint(
    rollouts: list[Doc],
) -> None:
    exposed = {n for n in metric_names("serving")}
    queries = [
        m["provider"]["prometheus"]["query"]
        for d in rollouts
        if d["kind"] == "AnalysisTemplate"
        for m in d["spec"]["metrics"]
        if "prometheus" in m["provider"]
    ]
    assert len(queries) == 2
    for query in queries:
        for name in re.findall(r"glassbox_serving_[a-z_]+", query):
            base = re.sub(r"_(bucket|sum|count)$", "", name)
            assert base in exposed, name
        assert 'model_name="{{args.model-name}}"' in query
        assert 'model_version="{{args.challenger-version}}"' in query
    assert 'endpoint="/predict"' in queries[1]


def test_the_rendered_objects_pass_lint_and_strict_validation(
    rollouts: list[Doc], tmp_path: Path
) -> None:
    rendered = tmp_path / "rollouts.yaml"
    rendered.write_text(yaml.safe_dump_all(rollouts, sort_keys=False))
    assert [str(f) for f in lint_paths([rendered])] == []
    for doc in rollouts:
        if not doc["apiVersion"].startswith("argoproj.io"):
            found: list[Any] = validate_k8s_object(doc, file="k8s/rollouts")
            assert found == [], "\n".join(map(str, found))
