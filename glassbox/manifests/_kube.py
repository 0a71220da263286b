"""The upstream Kubernetes schemas, as the PyPI package ``kubernetes-validate`` ships them.

kubernetes-validate carries, for every Kubernetes minor release from 1.25 on, JSON schemas
generated from the release's OpenAPI document, in a "strict" variant where every object forbids
unknown keys. Glassbox reads those files directly (one ``referencing`` registry per version,
validators cached per kind) instead of calling ``kubernetes_validate.validate``, which re-reads
the 1-2 MB definitions file for every document and stops at the first error.

The schemas are used as shipped; the only addition is an annotation naming each definition
(``x-glassbox-type``), which no validator reads, so messages can say "unknown field 'imagee' in
Container".
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from glassbox.manifests._finding import LintError
from glassbox.manifests._jsonschema import TYPE_KEY

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator
    from referencing import Registry

#: The oldest Kubernetes release docs/deploy.md supports: objects are checked against it by
#: default, so a field newer than that release is reported.
DEFAULT_KUBERNETES_VERSION = "1.25"
DEFINITIONS_URI = "https://kubernetes.io/api/_definitions.json"
_VERSION = re.compile(r"v?(\d+)\.(\d+)(?:\.\d+)?")


def _schema_root() -> Path:
    try:
        import kubernetes_validate
    except ImportError as exc:
        raise LintError(
            "validating Kubernetes objects needs the kubernetes-validate package (the upstream "
            "Kubernetes schemas; it is in requirements-dev.lock): pip install kubernetes-validate"
        ) from exc
    return Path(kubernetes_validate.__file__).parent / "kubernetes-json-schema"


def kubernetes_versions() -> list[str]:
    """The Kubernetes minor versions (``"1.25"``...) whose schemas are installed, oldest first."""
    found = []
    for entry in _schema_root().iterdir():
        match = re.fullmatch(r"v(\d+)\.(\d+)\.0-local-strict", entry.name)
        if match and entry.is_dir():
            found.append((int(match[1]), int(match[2])))
    return [f"{major}.{minor}" for major, minor in sorted(found)]


def resolve_version(requested: str | None) -> str:
    """``"1.25"`` from ``"1.25"``, ``"v1.25.3"``...; a version without schemas is a LintError."""
    wanted = requested or DEFAULT_KUBERNETES_VERSION
    match = _VERSION.fullmatch(wanted.strip())
    available = kubernetes_versions()
    if not match:
        raise LintError(f"Kubernetes version '{wanted}': expected MAJOR.MINOR, e.g. 1.30")
    version = f"{int(match[1])}.{int(match[2])}"
    if version not in available:
        raise LintError(
            f"Kubernetes version {version}: no schemas installed (kubernetes-validate has "
            f"{available[0]} to {available[-1]})"
        )
    return version


def schema_file_name(api_version: str, kind: str) -> str:
    """kubernetes-validate's file for a kind: ``deployment-apps-v1.json``, ``service-v1.json``.

    The group is cut at its first dot (``networking.k8s.io/v1`` → ``networking-v1``), so the
    file is only a candidate: its ``apiVersion`` enum decides.
    """
    group_version = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    return f"{kind.lower()}-{group_version}.json"


@functools.cache
def _directory(version: str) -> Path:
    return _schema_root() / f"v{version}.0-local-strict"


@functools.cache
def _registry(version: str) -> Registry[Any]:
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    path = _directory(version) / "_definitions.json"
    contents = json.loads(path.read_text(encoding="utf-8"))
    for name, definition in contents["$defs"].items():
        if isinstance(definition, dict):
            definition.setdefault(TYPE_KEY, name.rsplit(".", 1)[-1])
    resource = Resource.from_contents(contents, DRAFT202012)
    return Registry().with_resource(DEFINITIONS_URI, resource)


def definition_ref(name: str) -> dict[str, str]:
    """A ``$ref`` to one Kubernetes definition (``io.k8s.api.core.v1.PodTemplateSpec``)."""
    return {"$ref": f"{DEFINITIONS_URI}#/$defs/{name}"}


def kube_registry(version: str) -> Registry[Any]:
    """A registry holding the Kubernetes definitions of ``version`` at :data:`DEFINITIONS_URI`."""
    return _registry(version)


@functools.cache
def kube_validator(version: str, api_version: str, kind: str) -> Draft202012Validator | None:
    """The strict validator of a built-in kind, or ``None`` when the release has no such kind."""
    from jsonschema import Draft202012Validator

    path = _directory(version) / schema_file_name(api_version, kind)
    if not path.is_file():
        return None
    schema = json.loads(path.read_text(encoding="utf-8"))
    if api_version not in schema.get("properties", {}).get("apiVersion", {}).get("enum", []):
        return None  # e.g. rbac.example.com/v1 maps onto rbac-v1's file
    schema.setdefault(TYPE_KEY, kind)
    return Draft202012Validator(schema, registry=_registry(version))


@functools.cache
def kube_kinds(version: str) -> dict[str, list[str]]:
    """Every top-level kind of ``version`` with its apiVersions (for "did you mean" hints)."""
    kinds: dict[str, list[str]] = {}
    for path in sorted(_directory(version).glob("*.json")):
        if path.name.startswith("_"):
            continue
        properties = json.loads(path.read_text(encoding="utf-8")).get("properties", {})
        kind = properties.get("kind", {}).get("enum", [])
        api = properties.get("apiVersion", {}).get("enum", [])
        if len(kind) == 1 and api and "metadata" in properties:
            kinds.setdefault(kind[0], []).extend(api)
    return kinds
