"""k8s/serving and its ServiceMonitor: every object valid against the upstream schemas (strict),
hardened like the rest of k8s/, and wired to each other and to what ``glassbox serve`` does.

Schemas: the Kubernetes OpenAPI schemas shipped by the PyPI package ``kubernetes-validate``
(strict: unknown fields fail); the ServiceMonitor against prometheus-operator's own CRD
(../shared/prometheus-operator, v0.93.0) with the two documented adjustments (int-or-string
fields, ``additionalProperties: false`` wherever the schema lists properties).
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from glassbox.serving import ServingSettings
from tests.deploy._kustomize import build
from tests.deploy.conftest import K8S, ROOT, Doc, one
from tests.deploy.test_security import _assert_hardened

SERVING = K8S / "serving"
SHARED = ROOT.parent / "shared" / "prometheus-operator"
KUBERNETES = "1.30.0"


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


def test_every_object_is_valid_against_the_kubernetes_schemas_strictly(
    objects: list[Doc],
) -> None:
    import kubernetes_validate

    for doc in objects:
        kubernetes_validate.validate(doc, KUBERNETES, strict=True)


def test_the_strict_validation_catches_a_misspelt_field(objects: list[Doc]) -> None:
    import kubernetes_validate

    bad = copy.deepcopy(one(objects, "Deployment", "glassbox-serving"))
    bad["spec"]["template"]["spec"]["containers"][0]["livenessProbes"] = {}
    with pytest.raises(kubernetes_validate.ValidationError, match="livenessProbes"):
        kubernetes_validate.validate(bad, KUBERNETES, strict=True)


def _strict(schema: Any) -> Any:
    """The CRD schema as a strict JSON schema (README of ../shared/prometheus-operator)."""
    if isinstance(schema, list):
        return [_strict(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: _strict(v) for k, v in schema.items()}
    if out.pop("x-kubernetes-int-or-string", False):
        out["type"] = ["integer", "string"]
    if "properties" in out and not out.get("x-kubernetes-preserve-unknown-fields"):
        out.setdefault("additionalProperties", False)
    return out


def _crd_validator() -> Any:
    import jsonschema

    crd = yaml.safe_load((SHARED / "servicemonitors-crd.yaml").read_text())
    version = next(v for v in crd["spec"]["versions"] if v["name"] == "v1")
    schema = _strict(version["schema"]["openAPIV3Schema"])
    return jsonschema.Draft7Validator(schema)


def test_the_servicemonitor_is_valid_against_the_operator_crd(monitor: Doc) -> None:
    assert (monitor["apiVersion"], monitor["kind"]) == (
        "monitoring.coreos.com/v1",
        "ServiceMonitor",
    )
    errors = [e.message for e in _crd_validator().iter_errors(monitor)]
    assert errors == []
    broken = copy.deepcopy(monitor)
    broken["spec"]["endpoints"][0]["intervall"] = "15s"
    assert any("intervall" in e.message for e in _crd_validator().iter_errors(broken))


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
