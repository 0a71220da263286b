"""Pod security, least privilege, no committed secret values, images retagged per overlay."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.deploy.conftest import (
    ROOT,
    Doc,
    by_kind,
    load_docs,
    one,
    pod_specs,
    step_containers,
    workflow_specs,
)

UID = 10001


def _containers(spec: Doc) -> list[Doc]:
    return list(spec.get("initContainers", [])) + list(spec["containers"])


def _assert_hardened(label: str, pod: Doc, container: Doc) -> None:
    sc = {**pod.get("securityContext", {}), **container.get("securityContext", {})}
    where = f"{label}/{container.get('name', 'main')}"
    assert sc.get("runAsNonRoot") is True, where
    assert sc.get("runAsUser", 0) >= UID, where
    assert container["securityContext"].get("allowPrivilegeEscalation") is False, where
    assert container["securityContext"].get("readOnlyRootFilesystem") is True, where
    assert container["securityContext"]["capabilities"]["drop"] == ["ALL"], where
    assert not container["securityContext"].get("privileged", False), where
    for kind in ("requests", "limits"):
        assert {"cpu", "memory"} <= set(container["resources"][kind]), f"{where}: {kind}"
    assert container.get("imagePullPolicy") in {"IfNotPresent", "Always"}, where


@pytest.mark.parametrize("overlay", ["base", "dev", "prod"])
def test_every_container_runs_non_root_read_only_with_limits(
    overlay: str, built: dict[str, list[Doc]]
) -> None:
    specs = pod_specs(built[overlay])
    assert len(specs) >= 2
    for label, pod in specs:
        assert pod["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault", label
        assert pod.get("automountServiceAccountToken") is False, label
        assert pod.get("serviceAccountName", "default") != "default", label
        tmp = [m for c in pod["containers"] for m in c.get("volumeMounts", [])]
        assert any(m["mountPath"] == "/tmp" for m in tmp), f"{label}: no writable /tmp"
        for container in _containers(pod):
            _assert_hardened(label, pod, container)


def test_compiled_step_containers_are_hardened_too(compiled: list[Doc]) -> None:
    containers = step_containers(compiled)
    assert len(containers) >= 10
    for label, spec, container in containers:
        assert spec["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault", label
        _assert_hardened(label, {"securityContext": spec["securityContext"]}, container)


def _documents_under(*dirs: Path) -> list[tuple[Path, Doc]]:
    files = [p for d in dirs for p in sorted(d.rglob("*")) if p.suffix in {".yaml", ".yml"}]
    return [(path, doc) for path in files for doc in yaml.safe_load_all(path.read_text()) if doc]


def test_no_secret_value_is_committed() -> None:
    docs = _documents_under(ROOT / "k8s", ROOT / "mlruns_config")
    assert docs
    for path, doc in docs:
        assert not (doc.get("kind") == "Secret" and (doc.get("data") or doc.get("stringData"))), (
            f"{path}: a Secret with values"
        )
        assert "secretGenerator" not in doc, f"{path}: secretGenerator puts values in git"
    ini = (ROOT / "mlruns_config" / "basic_auth.ini").read_text()
    assert "admin_password" not in ini.replace("# admin_password", "")


@pytest.mark.parametrize("overlay", ["base", "dev", "prod"])
def test_roles_grant_only_what_argo_and_the_retraining_trigger_need(
    overlay: str, built: dict[str, list[Doc]]
) -> None:
    docs = built[overlay]
    assert not by_kind(docs, "ClusterRole")
    assert not by_kind(docs, "ClusterRoleBinding")
    rules = {r["metadata"]["name"]: r["rules"] for r in by_kind(docs, "Role")}
    task_results = {
        "apiGroups": ["argoproj.io"],
        "resources": ["workflowtaskresults"],
        "verbs": ["create", "patch"],
    }
    assert rules["glassbox-workflow"] == [task_results]
    assert rules["glassbox-monitoring"] == [
        task_results,
        {"apiGroups": ["argoproj.io"], "resources": ["workflows"], "verbs": ["create", "get"]},
    ]
    for binding in by_kind(docs, "RoleBinding"):
        name = binding["metadata"]["name"]
        assert binding["roleRef"] == {
            "apiGroup": "rbac.authorization.k8s.io",
            "kind": "Role",
            "name": name,
        }
        assert binding["subjects"] == [
            {"kind": "ServiceAccount", "name": name, "namespace": "glassbox"}
        ]
    tokens = {
        sa["metadata"]["name"]: sa["automountServiceAccountToken"]
        for sa in by_kind(docs, "ServiceAccount")
    }
    # Argo's executor needs the token of the workflow accounts; nobody else gets one.
    assert tokens.pop("glassbox-workflow") is True
    assert tokens.pop("glassbox-monitoring") is True
    assert not any(tokens.values())


def test_compiled_workflows_use_accounts_and_config_the_overlays_create(
    compiled: list[Doc], built: dict[str, list[Doc]]
) -> None:
    accounts = {spec["serviceAccountName"] for _, spec in workflow_specs(compiled)}
    config_maps = {
        ref["configMapRef"]["name"]
        for _, _, container in step_containers(compiled)
        for ref in container.get("envFrom", [])
    }
    assert "glassbox-workflow" in accounts
    assert config_maps == {"glassbox-env"}
    for overlay in ("dev", "prod"):
        for account in accounts:
            one(built[overlay], "ServiceAccount", account)
            one(built[overlay], "RoleBinding", account)
        env = one(built[overlay], "ConfigMap", "glassbox-env")["data"]
        assert env["MLFLOW_TRACKING_URI"].startswith("http://glassbox-mlflow:")
        assert env["GLASSBOX_ENV"] == overlay
        assert env["MLFLOW_TRACKING_USERNAME"]


def _image_name(ref: str) -> str:
    name = ref.split("@", maxsplit=1)[0]
    return name.rsplit(":", 1)[0] if ":" in name.rsplit("/", 1)[-1] else name


def test_overlays_retag_the_image_the_compiled_workflows_run(
    compiled: list[Doc], built: dict[str, list[Doc]]
) -> None:
    step_images = {container["image"] for _, _, container in step_containers(compiled)}
    assert len(step_images) == 1
    compiled_name = _image_name(step_images.pop())
    for overlay in ("dev", "prod"):
        kust = load_docs(ROOT / "k8s" / "overlays" / overlay / "kustomization.yaml")[0]
        retagged = [i for i in kust["images"] if i["name"] == compiled_name]
        assert len(retagged) == 1, f"{overlay}: no images entry for {compiled_name}"
        spec = retagged[0]
        expected = f"{spec.get('newName', compiled_name)}:{spec['newTag']}"
        for label, pod in pod_specs(built[overlay]):
            for container in pod["containers"]:
                if _image_name(container["image"]) in {compiled_name, spec.get("newName")}:
                    assert container["image"] == expected, f"{overlay}: {label}"
        mlflow = one(built[overlay], "Deployment", "glassbox-mlflow")
        assert mlflow["spec"]["template"]["spec"]["containers"][0]["image"] == expected
