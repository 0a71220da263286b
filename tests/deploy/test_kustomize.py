"""The kustomize tree: files parse, references resolve, overlays assemble into the right objects."""

from __future__ import annotations

import shutil
import subprocess
from collections import Counter
from pathlib import Path

import pytest
import yaml

from tests.deploy._kustomize import (
    MERGE_KEYS,
    KustomizeError,
    build,
    kustomizations,
    load_kustomization,
)
from tests.deploy.conftest import BUILDS, K8S, ROOT, Doc, by_kind, load_docs, one

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


def test_every_kustomization_references_files_that_exist() -> None:
    dirs = [*kustomizations(ROOT / "k8s"), ROOT / "mlruns_config"]
    assert {K8S / "base", K8S / "overlays" / "dev", K8S / "overlays" / "prod"} <= set(dirs)
    for directory in dirs:
        kust = load_kustomization(directory)
        for resource in kust.get("resources", []):
            assert (directory / resource).exists(), f"{directory}: missing resource {resource}"
        for patch in kust.get("patches", []):
            if "path" in patch:
                assert (directory / patch["path"]).is_file(), f"{directory}: {patch['path']}"
        for gen in kust.get("configMapGenerator", []):
            for entry in gen.get("files", []):
                source = entry.rpartition("=")[2]
                assert (directory / source).is_file(), f"{directory}: missing {source}"
        build(directory)  # also: files at or below the kustomization, every object named


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


def _normalise(value: object, field: str = "") -> object:
    if isinstance(value, dict):
        return {k: _normalise(v, k) for k, v in value.items()}
    if isinstance(value, list):
        items = [_normalise(v) for v in value]
        if field in MERGE_KEYS:
            items.sort(key=lambda item: str(item.get(MERGE_KEYS[field])))  # type: ignore[union-attr]
        return items
    return value


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="cross-check needs kubectl")
@pytest.mark.parametrize("name", sorted(BUILDS))
def test_resolver_agrees_with_kubectl_kustomize(name: str, built: dict[str, list[Doc]]) -> None:
    out = subprocess.run(
        ["kubectl", "kustomize", str(BUILDS[name])],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    real = {(d["kind"], d["metadata"]["name"]): _normalise(d) for d in yaml.safe_load_all(out)}
    mine = {(d["kind"], d["metadata"]["name"]): _normalise(d) for d in built[name]}
    assert mine == real


def test_resolver_refuses_what_kustomize_refuses(tmp_path: Path) -> None:
    """Files above a kustomization, and objects without a name (the compiled run-once Workflow
    has only generateName) stop a real `kustomize build`; the resolver stops the same way."""
    (tmp_path / "base").mkdir()
    (tmp_path / "outside.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n"
    )
    (tmp_path / "base" / "kustomization.yaml").write_text("resources:\n  - ../outside.yaml\n")
    with pytest.raises(KustomizeError, match="is not in or below"):
        build(tmp_path / "base")
    (tmp_path / "kustomization.yaml").write_text("resources:\n  - workflow.yaml\n")
    (tmp_path / "workflow.yaml").write_text(
        "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata:\n  generateName: x-\n"
    )
    with pytest.raises(KustomizeError, match=r"metadata\.name"):
        build(tmp_path)
