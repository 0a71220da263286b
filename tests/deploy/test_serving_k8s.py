"""k8s/serving and its ServiceMonitor: every object valid against the upstream schemas (strict),
hardened like the rest of k8s/, and wired to each other and to what ``glassbox serve`` does.

Schemas: ``glassbox.manifests.validate_k8s_object`` — the Kubernetes OpenAPI schemas of the PyPI
package ``kubernetes-validate`` (strict: unknown fields fail) and, for the ServiceMonitor,
prometheus-operator's own CRD (../shared/prometheus-operator). Rendered by the real kustomize.
"""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from glassbox.manifests import DEFAULT_KUBERNETES_VERSION, kubernetes_versions, validate_k8s_object
from glassbox.serving import ServingSettings
from tests.deploy._kustomize import build
from tests.deploy.conftest import K8S, Doc, one
from tests.deploy.test_security import _assert_hardened

SERVING = K8S / "serving"


@pytest.fixture(scope="module")
def objects() -> list[Doc]:
    return build(SERVING)


@pytest.fixture(scope="module")
def monitor() -> Doc:
    (doc,) = [
        d for d in yaml.safe_load_all((K8S / "prometheus" / "servicemonitor.yaml").read_text()) if d
    ]
    return doc


def test_the_kustomization_holds_the_serving_objects(objects: list[Doc]) -> None:
    kinds = sorted((d["kind"], d["metadata"]["name"]) for d in objects)
    assert kinds == sorted(
        (kind, "glassbox-serving")
        for kind in (
            "ServiceAccount",
            "Deployment",
            "Service",
            "HorizontalPodAutoscaler",
            "PodDisruptionBudget",
            "NetworkPolicy",
        )
    )
    assert {d["metadata"]["namespace"] for d in objects} == {"glassbox"}


@pytest.mark.parametrize("version", [DEFAULT_KUBERNETES_VERSION, kubernetes_versions()[-1]])
def test_every_object_passes_strict_validation(
    objects: list[Doc], monitor: Doc, version: str
) -> None:
    for doc in [*objects, monitor]:
        findings = validate_k8s_object(doc, file="k8s/serving", kubernetes_version=version)
        assert findings == [], "\n".join(str(f) for f in findings)


def test_the_strict_validation_catches_a_misspelt_field(objects: list[Doc], monitor: Doc) -> None:
    bad = copy.deepcopy(one(objects, "Deployment", "glassbox-serving"))
    bad["spec"]["template"]["spec"]["containers"][0]["livenessProbes"] = {}
    findings = [str(f) for f in validate_k8s_object(bad, file="k8s/serving")]
    assert any("livenessProbes" in f for f in findings), findings
    broken = copy.deepcopy(monitor)
    broken["spec"]["endpoints"][0]["intervall"] = "15s"
    findings = [str(f) for f in validate_k8s_object(broken, file="k8s/prometheus")]
    assert any("intervall" in f for f in findings), findings


def test_the_server_container_is_hardened_and_bounded(objects: list[Doc]) -> None:
    deployment = one(objects, "Deployment", "glassbox-serving")
    pod = deployment["spec"]["template"]["spec"]
    assert pod["automountServiceAccountToken"] is False
    assert pod["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault"
    for container in pod["containers"]:
        _assert_hardened("Deployment/glassbox-serving", pod, container)


def test_probes_command_and_audit_volume_match_glassbox_serve(objects: list[Doc]) -> None:
    deployment = one(objects, "Deployment", "glassbox-serving")
    pod = deployment["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["command"][:4] == ["python", "-m", "glassbox", "serve"]
    assert container["readinessProbe"]["httpGet"]["path"] == "/ready"
    assert container["livenessProbe"]["httpGet"]["path"] == "/health"
    assert container["startupProbe"]["httpGet"]["path"] == "/health"
    env = {e["name"]: e for e in container["env"]}
    audit_dir = Path(env["GLASSBOX_SERVING__AUDIT__DIR"]["value"])
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    assert any(audit_dir.is_relative_to(path) for path in mounts), "audit log on a volume"
    volumes = {v["name"] for v in pod["volumes"]}
    assert set(mounts.values()) <= volumes
    drain = ServingSettings().drain_seconds
    assert pod["terminationGracePeriodSeconds"] > drain, "time to drain and log the audit"
    for secret in ("GLASSBOX_AUDIT_HMAC_KEY", "MLFLOW_TRACKING_PASSWORD"):
        assert env[secret]["valueFrom"]["secretKeyRef"]["name"] == "glassbox-secrets"


def test_service_monitor_autoscaler_budget_and_policy_select_the_server(
    objects: list[Doc], monitor: Doc
) -> None:
    deployment = one(objects, "Deployment", "glassbox-serving")
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    service = one(objects, "Service", "glassbox-serving")
    assert service["spec"]["selector"].items() <= labels.items()
    port_names = {p["name"] for p in service["spec"]["ports"]}
    assert (
        monitor["spec"]["selector"]["matchLabels"].items() <= service["metadata"]["labels"].items()
    )
    assert {e["port"] for e in monitor["spec"]["endpoints"]} <= port_names
    assert {e["path"] for e in monitor["spec"]["endpoints"]} == {"/metrics"}
    hpa = one(objects, "HorizontalPodAutoscaler", "glassbox-serving")
    assert hpa["spec"]["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": "glassbox-serving",
    }
    assert hpa["spec"]["minReplicas"] >= 2
    pdb = one(objects, "PodDisruptionBudget", "glassbox-serving")
    assert pdb["spec"]["selector"]["matchLabels"].items() <= labels.items()
    assert pdb["spec"]["minAvailable"] < hpa["spec"]["minReplicas"]
    policy = one(objects, "NetworkPolicy", "glassbox-serving")
    assert policy["spec"]["podSelector"]["matchLabels"].items() <= labels.items()
    (ingress,) = policy["spec"]["ingress"]
    assert {p["port"] for p in ingress["ports"]} == {8080}
    egress_ports = {p["port"] for rule in policy["spec"]["egress"] for p in rule["ports"]}
    assert {5000, 4318, 443} == egress_ports
