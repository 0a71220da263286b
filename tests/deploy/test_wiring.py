"""The pieces fit: Secrets documented, the server's environment complete, names and ports agree."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from glassbox.server import load_server_settings, prepare
from tests.deploy.conftest import ROOT, Doc, by_kind, one

DOCS = ROOT / "docs" / "deploy.md"
TABLE_ROW = re.compile(r"^\| `(glassbox-[a-z-]+)` / (.+?) \|", re.MULTILINE)
VAR_REF = re.compile(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)")


def _documented_keys() -> set[tuple[str, str]]:
    text = DOCS.read_text()
    keys = set()
    for secret, cell in TABLE_ROW.findall(text):
        keys |= {(secret, key) for key in re.findall(r"`([a-z0-9-]+)`", cell)}
    return keys


def _secret_refs(node: object) -> set[tuple[str, str]]:
    if isinstance(node, dict):
        ref = node.get("secretKeyRef")
        found = {(ref["name"], ref["key"])} if isinstance(ref, dict) else set()
        return found.union(*(_secret_refs(v) for v in node.values()))
    if isinstance(node, list):
        return set().union(*(_secret_refs(v) for v in node))
    return set()


def test_every_secret_key_used_is_documented_with_a_recipe(
    compiled: list[Doc], built: dict[str, list[Doc]]
) -> None:
    documented = _documented_keys()
    used = _secret_refs(compiled) | _secret_refs(built["dev"]) | _secret_refs(built["prod"])
    assert len(used) >= 10
    assert used <= documented, f"undocumented: {sorted(used - documented)}"
    text = DOCS.read_text()
    for secret, key in documented:
        assert f"create secret generic {secret}" in text, secret
        assert f"--from-literal={key}=" in text, f"no recipe for {secret}/{key}"


def _stand_in(key: str) -> str:
    return f"value0of0{key.replace('-', '0')}"


def _container_env(docs: list[Doc], container: Doc) -> dict[str, str]:
    """The environment the kubelet would give ``container``: envFrom ConfigMaps, then env in
    order with $(VAR) expanded, Secret values replaced by a URL-safe stand-in."""
    config_maps = {d["metadata"]["name"]: d["data"] for d in by_kind(docs, "ConfigMap")}
    env: dict[str, str] = {}
    for source in container.get("envFrom", []):
        env.update(config_maps[source["configMapRef"]["name"]])
    for item in container.get("env", []):
        if "value" in item:
            env[item["name"]] = VAR_REF.sub(
                lambda m: env.get(m.group(1), m.group(0)), item["value"]
            )
            continue
        source = item["valueFrom"]
        if "secretKeyRef" in source:
            ref = source["secretKeyRef"]
            if not ref.get("optional"):
                env[item["name"]] = _stand_in(ref["key"])
        elif "configMapKeyRef" in source:
            ref = source["configMapKeyRef"]
            env[item["name"]] = config_maps[ref["name"]][ref["key"]]
    return env


def _mounted_config(docs: list[Doc], pod: Doc, container: Doc, tmp_path: Path) -> Path:
    """Write the ConfigMap mounted by ``container`` at --config-dir into ``tmp_path``."""
    config_dir = container["command"][container["command"].index("--config-dir") + 1]
    mount = next(m for m in container["volumeMounts"] if m["mountPath"] == config_dir)
    volume = next(v for v in pod["volumes"] if v["name"] == mount["name"])
    data = one(docs, "ConfigMap", volume["configMap"]["name"])["data"]
    tmp_path.mkdir()
    for name, text in data.items():
        (tmp_path / name).write_text(text)
    return tmp_path


@pytest.mark.parametrize("overlay", ["dev", "prod"])
def test_the_mlflow_deployment_gives_serve_everything_it_checks(
    overlay: str, built: dict[str, list[Doc]], tmp_path: Path
) -> None:
    docs = built[overlay]
    pod = one(docs, "Deployment", "glassbox-mlflow")["spec"]["template"]["spec"]
    container = pod["containers"][0]
    assert container["command"][:4] == ["python", "-m", "glassbox.server", "serve"]
    config_dir = _mounted_config(docs, pod, container, tmp_path / "config")
    env = _container_env(docs, container)
    cmd, server_env = prepare(
        env, config_dir=config_dir, runtime_dir=tmp_path / "run", require_packages=False
    )
    settings = load_server_settings(config_dir / "server.yaml")
    if overlay == "dev":  # built by the kubelet from the in-cluster database's password
        server = (
            f"postgresql+psycopg2://mlflow:{_stand_in('postgres-password')}@glassbox-postgres:5432"
        )
        backend, auth_db, destination = f"{server}/mlflow", f"{server}/mlflow_auth", "/mlartifacts"
    else:  # whole URIs from the Secret
        backend, auth_db = _stand_in("backend-store-uri"), _stand_in("auth-database-uri")
        destination = "s3://CHANGE-ME-bucket/mlflow-artifacts"
    assert cmd[cmd.index("--backend-store-uri") + 1] == backend
    assert cmd[cmd.index("--artifacts-destination") + 1] == destination
    assert cmd[cmd.index("--app-name") + 1] == "basic-auth"
    auth = Path(server_env["MLFLOW_AUTH_CONFIG_PATH"]).read_text()
    assert f"database_uri = {auth_db}\n" in auth
    assert "default_permission = NO_PERMISSIONS" in auth
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert ports["http"] == settings.port
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert container[probe]["httpGet"] == {"path": "/health", "port": "http"}


@pytest.mark.parametrize("overlay", ["dev", "prod"])
def test_the_tracking_uri_of_the_steps_reaches_the_service_and_passes_the_host_check(
    overlay: str, built: dict[str, list[Doc]]
) -> None:
    docs = built[overlay]
    uri = one(docs, "ConfigMap", "glassbox-env")["data"]["MLFLOW_TRACKING_URI"]
    host_port = uri.removeprefix("http://").rstrip("/")
    host, port = host_port.split(":")
    service = one(docs, "Service", host)
    assert [p["port"] for p in service["spec"]["ports"]] == [int(port)]
    assert service["spec"]["ports"][0]["targetPort"] == "http"
    deployment = one(docs, "Deployment", "glassbox-mlflow")
    selector = service["spec"]["selector"]
    assert selector.items() <= deployment["spec"]["template"]["metadata"]["labels"].items()
    config = next(
        d
        for d in by_kind(docs, "ConfigMap")
        if d["metadata"]["name"].startswith("glassbox-mlflow-config-")
    )
    allowed_hosts = yaml.safe_load(config["data"]["server.yaml"])["allowed_hosts"]
    assert host_port in allowed_hosts
    assert f"{host}.glassbox.svc.cluster.local:{port}" in allowed_hosts


def test_the_bootstrap_job_has_what_bootstrap_reads(built: dict[str, list[Doc]]) -> None:
    for overlay in ("dev", "prod"):
        docs = built[overlay]
        pod = one(docs, "Job", "glassbox-mlflow-bootstrap")["spec"]["template"]["spec"]
        container = pod["containers"][0]
        assert container["command"][:4] == ["python", "-m", "glassbox.server", "bootstrap"]
        env = _container_env(docs, container)
        pipeline_user = one(docs, "ConfigMap", "glassbox-env")["data"]["MLFLOW_TRACKING_USERNAME"]
        assert env["GLASSBOX_PIPELINE_USERNAME"] == pipeline_user
        for name in (
            "MLFLOW_TRACKING_URI",
            "MLFLOW_AUTH_ADMIN_PASSWORD",
            "GLASSBOX_PIPELINE_PASSWORD",
        ):
            assert env.get(name), f"{overlay}: {name}"
        refs = _secret_refs(container["env"])
        assert ("glassbox-secrets", "mlflow-tracking-password") in refs  # what steps log in with
        assert pod["restartPolicy"] in {"OnFailure", "Never"}
