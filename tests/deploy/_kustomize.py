"""A small kustomize: enough of ``kustomize build`` to assemble k8s/ without kubectl.

Covers what Glassbox's kustomizations use, with kustomize's own rules where they bite:
resources (files and directories; a file must lie at or below its kustomization, every object
needs ``metadata.name``), ``namespace``, ``configMapGenerator`` (files, literals, ``behavior``,
``disableNameSuffixHash``; the content-hash suffix computed as kustomize's ``hasher`` does, and
references from pod templates renamed), ``images`` (``containers``/``initContainers`` lists
anywhere, as kustomize's legacy image filter) and strategic-merge ``patches`` (``$patch:
delete`` of objects and list items, ``null`` deleting a field, lists merged on Kubernetes'
merge keys). Anything else raises, so an unsupported feature cannot pass silently.
"""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path
from typing import Any

import yaml

Doc = dict[str, Any]
SUPPORTED = {
    "apiVersion",
    "kind",
    "namespace",
    "resources",
    "configMapGenerator",
    "images",
    "patches",
}
CLUSTER_KINDS = {"Namespace", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition"}
MERGE_KEYS = {
    "containers": "name",
    "initContainers": "name",
    "env": "name",
    "volumes": "name",
    "volumeMounts": "mountPath",
    "ports": "containerPort",
    "imagePullSecrets": "name",
}
POD_TEMPLATE_KINDS = {"Deployment", "StatefulSet", "DaemonSet", "Job", "ReplicaSet"}
# Bookkeeping keys carried on objects during a build, removed before it returns.
_HASHED = "__hashed__"  # a generated ConfigMap whose name gets the content hash
_ORIGIN_NS = "__origin_namespace__"  # the namespace as written, which patches may name


class KustomizeError(Exception):
    """What kustomize would refuse (or what this resolver does not support)."""


def kustomization_file(directory: Path) -> Path:
    for name in ("kustomization.yaml", "kustomization.yml", "Kustomization"):
        if (directory / name).is_file():
            return directory / name
    raise KustomizeError(f"{directory}: no kustomization.yaml")


def load_kustomization(directory: Path) -> Doc:
    doc = yaml.safe_load(kustomization_file(directory).read_text()) or {}
    unknown = set(doc) - SUPPORTED
    if unknown:
        raise KustomizeError(f"{directory}: unsupported kustomization fields {sorted(unknown)}")
    return doc


def _inside(path: Path, root: Path) -> bool:
    return path.resolve().is_relative_to(root.resolve())


def _read_objects(path: Path) -> list[Doc]:
    docs = [d for d in yaml.safe_load_all(path.read_text()) if d]
    for doc in docs:
        if not doc.get("kind") or not doc.get("metadata", {}).get("name"):
            raise KustomizeError(f"{path}: missing kind or metadata.name in {doc.get('kind')}")
        doc[_ORIGIN_NS] = doc["metadata"].get("namespace")
    return docs


def _file(root: Path, relative: str) -> Path:
    path = root / relative
    if not _inside(path, root):
        raise KustomizeError(f"security; file '{path}' is not in or below '{root}'")
    if not path.is_file():
        raise KustomizeError(f"{root}: file not found: {relative}")
    return path


def _generate_configmap(root: Path, spec: Doc) -> Doc:
    data: dict[str, str] = {}
    for entry in spec.get("files", []):
        key, _, relative = entry.rpartition("=")
        path = _file(root, relative)
        data[key or path.name] = path.read_text()
    for literal in spec.get("literals", []):
        key, sep, value = literal.partition("=")
        if not sep:
            raise KustomizeError(f"{root}: literal without '=': {literal}")
        data[key] = value
    cm: Doc = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": spec["name"]}}
    cm["data"] = data
    cm[_HASHED] = not spec.get("options", {}).get("disableNameSuffixHash", False)
    cm[_ORIGIN_NS] = None
    return cm


def _key(doc: Doc) -> tuple[str, str]:
    return doc["kind"], doc["metadata"]["name"]


def _apply_generator(objects: list[Doc], root: Path, spec: Doc) -> None:
    generated = _generate_configmap(root, spec)
    behavior = spec.get("behavior", "create")
    existing = [o for o in objects if _key(o) == _key(generated)]
    if behavior == "create":
        if existing:
            raise KustomizeError(f"{root}: ConfigMap {spec['name']} generated twice")
        objects.append(generated)
    elif behavior in {"merge", "replace"}:
        if len(existing) != 1:
            raise KustomizeError(f"{root}: {behavior} of unknown ConfigMap {spec['name']}")
        if behavior == "replace":
            existing[0]["data"] = generated["data"]
        else:
            existing[0]["data"].update(generated["data"])
    else:
        raise KustomizeError(f"{root}: unknown generator behavior {behavior}")


def _merge(target: Any, patch: Any, field: str = "") -> Any:
    """Strategic merge of ``patch`` into ``target`` (a copy is returned)."""
    if isinstance(patch, dict) and isinstance(target, dict):
        out = dict(target)
        for key, value in patch.items():
            if value is None:
                out.pop(key, None)
            elif key in out:
                out[key] = _merge(out[key], value, key)
            else:
                out[key] = _strip(value)
        return out
    if isinstance(patch, list) and isinstance(target, list) and field in MERGE_KEYS:
        key = MERGE_KEYS[field]
        out = [copy.deepcopy(item) for item in target]
        for item in patch:
            index = next((i for i, t in enumerate(out) if t.get(key) == item.get(key)), None)
            if item.get("$patch") == "delete":
                if index is not None:
                    del out[index]
            elif index is None:
                out.append(_strip(item))
            else:
                out[index] = _merge(out[index], item, field)
        return out
    return _strip(patch)


def _strip(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items() if v is not None and k != "$patch"}
    if isinstance(value, list):
        return [_strip(v) for v in value]
    return value


def _apply_patch(objects: list[Doc], root: Path, entry: Doc) -> None:
    if set(entry) - {"path", "patch"}:
        raise KustomizeError(f"{root}: unsupported patch fields {sorted(set(entry))}")
    text = _file(root, entry["path"]).read_text() if "path" in entry else entry["patch"]
    for patch in (d for d in yaml.safe_load_all(text) if d):
        namespace = patch["metadata"].get("namespace")
        matches = [
            o
            for o in objects
            if _key(o) == _key(patch)
            and namespace in {o["metadata"].get("namespace"), o[_ORIGIN_NS]}
        ]
        if len(matches) != 1:
            raise KustomizeError(f"{root}: no resource matches patch {_key(patch)}")
        index = objects.index(matches[0])
        if patch.get("$patch") == "delete":
            del objects[index]
        else:
            merged = _merge(matches[0], {k: v for k, v in patch.items() if k != "$patch"})
            objects[index] = merged


def _split_image(image: str) -> tuple[str, str, str]:
    name, _, digest = image.partition("@")
    slash = name.rfind("/")
    colon = name.rfind(":")
    tag = ""
    if colon > slash:
        name, tag = name[:colon], name[colon + 1 :]
    return name, tag, digest


def _retag(node: Any, images: list[Doc]) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in {"containers", "initContainers"} and isinstance(value, list):
                for container in value:
                    container["image"] = _new_image(container.get("image", ""), images)
            _retag(value, images)
    elif isinstance(node, list):
        for item in node:
            _retag(item, images)


def _new_image(image: str, images: list[Doc]) -> str:
    name, tag, digest = _split_image(image)
    for spec in images:
        if spec["name"] == name:
            name = spec.get("newName", name)
            if "digest" in spec:
                return f"{name}@{spec['digest']}"
            tag = str(spec.get("newTag", tag))
    ref = f"{name}:{tag}" if tag else name
    return f"{ref}@{digest}" if digest else ref


def _build(directory: Path) -> list[Doc]:
    root = directory.resolve()
    kust = load_kustomization(root)
    objects: list[Doc] = []
    for resource in kust.get("resources", []):
        path = root / resource
        if path.is_dir():
            objects += _build(path)
        else:
            objects += _read_objects(_file(root, resource))
    for spec in kust.get("configMapGenerator", []):
        _apply_generator(objects, root, spec)
    for entry in kust.get("patches", []):
        _apply_patch(objects, root, entry)
    if "namespace" in kust:
        for obj in objects:
            if obj["kind"] not in CLUSTER_KINDS:
                obj["metadata"]["namespace"] = kust["namespace"]
    if kust.get("images"):
        _retag(objects, kust["images"])
    return objects


def configmap_hash(cm: Doc) -> str:
    """kustomize's ``hasher.Hash`` of a ConfigMap: sha256 of Go's JSON of kind/name/data.

    The name is always empty: kustomize looks it up as the single field "metadata/name", which
    never exists, so two generators with equal data get the same suffix."""
    payload = {"data": cm.get("data", {}), "kind": "ConfigMap", "name": ""}
    encoded = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    for char, escape in (("&", "\\u0026"), ("<", "\\u003c"), (">", "\\u003e")):
        encoded = encoded.replace(char, escape)
    digest = hashlib.sha256(encoded.encode()).hexdigest()[:10]
    return digest.translate(str.maketrans("013ae", "ghkmt"))


def _rename_refs(pod_spec: Doc, renames: dict[str, str]) -> None:
    for volume in pod_spec.get("volumes", []):
        if "configMap" in volume:
            name = volume["configMap"]["name"]
            volume["configMap"]["name"] = renames.get(name, name)
    for container in pod_spec.get("containers", []) + pod_spec.get("initContainers", []):
        for source in container.get("envFrom", []):
            ref = source.get("configMapRef")
            if ref:
                ref["name"] = renames.get(ref["name"], ref["name"])
        for env in container.get("env", []):
            ref = env.get("valueFrom", {}).get("configMapKeyRef")
            if ref:
                ref["name"] = renames.get(ref["name"], ref["name"])


def build(directory: Path) -> list[Doc]:
    """The objects ``kustomize build directory`` emits (ConfigMap names with their hashes)."""
    objects = _build(directory)
    renames = {}
    for obj in objects:
        obj.pop(_ORIGIN_NS)
        if obj.pop(_HASHED, False):
            name = obj["metadata"]["name"]
            renames[name] = f"{name}-{configmap_hash(obj)}"
            obj["metadata"]["name"] = renames[name]
    for obj in objects:
        if obj["kind"] in POD_TEMPLATE_KINDS:
            _rename_refs(obj["spec"]["template"]["spec"], renames)
    return objects


def kustomizations(root: Path) -> list[Path]:
    """Every directory under ``root`` holding a kustomization."""
    return sorted(p.parent for p in root.rglob("kustomization.yaml"))
