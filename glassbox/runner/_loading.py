"""Load Argo manifests and resolve the workflow spec one run executes.

A run starts from one document: a ``Workflow`` (optionally ``spec.workflowTemplateRef``), a
``CronWorkflow`` (its ``spec.workflowSpec``, run once) or a ``WorkflowTemplate`` /
``ClusterWorkflowTemplate`` (as ``argo submit --from workflowtemplate/<name>`` would).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from glassbox.runner._errors import ManifestError

__all__ = [
    "ManifestDocument",
    "Manifests",
    "WorkflowSource",
    "load_manifests",
    "manifests_from_documents",
]

WORKFLOW = "Workflow"
CRON_WORKFLOW = "CronWorkflow"
WORKFLOW_TEMPLATE = "WorkflowTemplate"
CLUSTER_WORKFLOW_TEMPLATE = "ClusterWorkflowTemplate"
ARGO_KINDS = (WORKFLOW, CRON_WORKFLOW, WORKFLOW_TEMPLATE, CLUSTER_WORKFLOW_TEMPLATE)
_TEMPLATE_KINDS = (WORKFLOW_TEMPLATE, CLUSTER_WORKFLOW_TEMPLATE)
_YAML_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class ManifestDocument:
    """One Argo document: its kind, name (``metadata.name`` or ``generateName``) and origin."""

    kind: str
    name: str
    source: str
    body: Mapping[str, Any] = field(repr=False)

    @property
    def metadata(self) -> Mapping[str, Any]:
        return _mapping(self.body.get("metadata"), f"{self.source}: metadata")

    @property
    def spec(self) -> Mapping[str, Any]:
        return _mapping(self.body.get("spec"), f"{self.source}: spec")

    def match_rank(self, name: str) -> int | None:
        """0: ``metadata.name``; 1: ``generateName``; 2: ``generateName`` minus its dash."""
        meta = self.metadata
        generate = str(meta.get("generateName") or "")
        if meta.get("name") == name:
            return 0
        if generate and generate == name:
            return 1
        if generate.endswith("-") and generate[:-1] == name:
            return 2
        return None


@dataclass(frozen=True)
class WorkflowSource:
    """The merged spec of the workflow to run, with the identity fields Argo derives from it."""

    document: ManifestDocument
    spec: Mapping[str, Any]
    name: str | None
    generate_name: str
    namespace: str | None
    labels: Mapping[str, str]
    annotations: Mapping[str, str]
    cron_name: str | None = None


class Manifests:
    """The Argo documents of one or more YAML files, indexed by kind and name."""

    def __init__(self, documents: Iterable[ManifestDocument]) -> None:
        self._documents = tuple(documents)
        self._index: dict[tuple[str, str], ManifestDocument] = {}
        for doc in self._documents:
            key = (doc.kind, doc.name)
            if key in self._index:
                raise ManifestError(
                    f"{doc.source}: duplicate {doc.kind} {doc.name!r} "
                    f"(also in {self._index[key].source})"
                )
            self._index[key] = doc

    @property
    def documents(self) -> tuple[ManifestDocument, ...]:
        return self._documents

    def __iter__(self) -> Iterator[ManifestDocument]:
        return iter(self._documents)

    def __len__(self) -> int:
        return len(self._documents)

    def find(self, kind: str, name: str) -> ManifestDocument | None:
        return self._index.get((kind, name))

    def workflow_template(
        self, name: str, *, cluster_scope: bool, needed_by: str
    ) -> ManifestDocument:
        """The (Cluster)WorkflowTemplate called ``name``; a clear error when it was not loaded."""
        kind = CLUSTER_WORKFLOW_TEMPLATE if cluster_scope else WORKFLOW_TEMPLATE
        doc = self.find(kind, name)
        if doc is None:
            loaded = sorted(d.name for d in self._documents if d.kind == kind) or ["none"]
            raise ManifestError(
                f"{needed_by} references {kind} {name!r}, which is not among the loaded "
                f"manifests (loaded {kind}s: {', '.join(loaded)})"
            )
        return doc

    def select(self, name: str | None = None) -> ManifestDocument:
        """The document to run: by name, else the only Workflow/CronWorkflow (or template)."""
        if name is not None:
            ranked = [(d.match_rank(name), d) for d in self._documents]
            best = min((rank for rank, _ in ranked if rank is not None), default=None)
            found = [d for rank, d in ranked if rank is not None and rank == best]
            if len(found) == 1:
                return found[0]
            if not found:
                raise ManifestError(
                    f"no Workflow, CronWorkflow or WorkflowTemplate named {name!r}; "
                    f"loaded: {self._describe()}"
                )
            raise ManifestError(
                f"name {name!r} is ambiguous: it matches "
                + ", ".join(f"{d.kind} in {d.source}" for d in found)
            )
        for kinds in ((WORKFLOW, CRON_WORKFLOW), _TEMPLATE_KINDS):
            found = [d for d in self._documents if d.kind in kinds]
            if len(found) == 1:
                return found[0]
            if found:
                raise ManifestError(
                    f"several runnable documents are loaded ({self._describe()}); "
                    "pass the name of the one to run"
                )
        raise ManifestError("no Workflow, CronWorkflow or WorkflowTemplate was loaded")

    def resolve(self, doc: ManifestDocument) -> WorkflowSource:
        """Merge ``workflowTemplateRef`` / unwrap ``CronWorkflow`` into the spec to execute."""
        meta = doc.metadata
        labels = _string_map(meta.get("labels"), f"{doc.source}: metadata.labels")
        annotations = _string_map(meta.get("annotations"), f"{doc.source}: metadata.annotations")
        namespace = meta.get("namespace")
        if doc.kind == WORKFLOW:
            return WorkflowSource(
                document=doc,
                spec=self._workflow_spec(doc.spec, doc.source),
                name=meta.get("name"),
                generate_name=str(meta.get("generateName") or ""),
                namespace=namespace,
                labels=labels,
                annotations=annotations,
            )
        if doc.kind == CRON_WORKFLOW:
            where = f"{doc.source}: spec.workflowSpec"
            wf_meta = _mapping(
                doc.spec.get("workflowMetadata"), f"{doc.source}: spec.workflowMetadata"
            )
            labels = {
                **_string_map(wf_meta.get("labels"), f"{doc.source}: spec.workflowMetadata.labels"),
                "workflows.argoproj.io/cron-workflow": doc.name,
            }
            annotations = _string_map(
                wf_meta.get("annotations"), f"{doc.source}: spec.workflowMetadata.annotations"
            )
            spec = _mapping(doc.spec.get("workflowSpec"), where)
            if not spec:
                raise ManifestError(f"{where} is missing: a CronWorkflow needs a workflowSpec")
            return WorkflowSource(
                document=doc,
                spec=self._workflow_spec(spec, doc.source),
                name=None,
                generate_name=f"{doc.name}-",
                namespace=namespace,
                labels=labels,
                annotations=annotations,
                cron_name=doc.name,
            )
        labels = {**labels, "workflows.argoproj.io/workflow-template": doc.name}
        return WorkflowSource(
            document=doc,
            spec=copy.deepcopy(dict(doc.spec)),
            name=None,
            generate_name=f"{doc.name}-",
            namespace=namespace,
            labels=labels,
            annotations=annotations,
        )

    def _workflow_spec(self, spec: Mapping[str, Any], source: str) -> dict[str, Any]:
        ref = spec.get("workflowTemplateRef")
        if ref is None:
            return copy.deepcopy(dict(spec))
        ref = _mapping(ref, f"{source}: spec.workflowTemplateRef")
        if not ref.get("name"):
            raise ManifestError(f"{source}: spec.workflowTemplateRef.name is missing")
        template = self.workflow_template(
            str(ref["name"]),
            cluster_scope=bool(ref.get("clusterScope")),
            needed_by=f"{source}: spec.workflowTemplateRef",
        )
        merged = copy.deepcopy(dict(template.spec))
        for key, value in spec.items():
            if key == "workflowTemplateRef":
                continue
            if key == "arguments":
                merged[key] = _merge_arguments(merged.get(key), value, source)
            elif key == "templates":
                merged[key] = _merge_named(merged.get(key) or [], value or [])
            else:
                merged[key] = copy.deepcopy(value)
        return merged

    def _describe(self) -> str:
        return ", ".join(f"{d.kind} {d.name}" for d in self._documents) or "nothing"


class _ArgoLoader(yaml.SafeLoader):
    """YAML as Kubernetes reads it into JSON: ``2024-01-01`` stays a string, not a date."""


_ArgoLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load_manifests(paths: str | Path | Iterable[str | Path]) -> Manifests:
    """Load every Argo document from YAML files (multi-document) or directories of them."""
    if isinstance(paths, str | Path):
        paths = [paths]
    documents: list[ManifestDocument] = []
    for path in _expand(paths):
        try:
            text = path.read_text(encoding="utf-8")
            raw = list(yaml.load_all(text, Loader=_ArgoLoader))  # a SafeLoader subclass
        except OSError as exc:
            raise ManifestError(f"cannot read manifest file {path}: {exc.strerror}") from exc
        except yaml.YAMLError as exc:
            raise ManifestError(f"{path} is not valid YAML: {_one_line(exc)}") from exc
        documents.extend(_documents(raw, str(path)))
    return Manifests(documents)


def manifests_from_documents(
    documents: Iterable[Mapping[str, Any]], source: str = "<memory>"
) -> Manifests:
    """Index already-parsed documents (e.g. Hera's ``to_dict()``) like ``load_manifests``."""
    return Manifests(_documents(list(documents), source))


def _expand(paths: Iterable[str | Path]) -> Iterator[Path]:
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files = sorted(p for p in path.iterdir() if p.suffix in _YAML_SUFFIXES)
            if not files:
                raise ManifestError(f"directory {path} holds no .yaml or .yml manifest")
            yield from files
        elif path.exists():
            yield path
        else:
            raise ManifestError(f"manifest file not found: {path}")


def _documents(raw: list[Any], source: str) -> Iterator[ManifestDocument]:
    for index, body in enumerate(raw):
        where = f"{source}#{index}"
        if body is None:
            continue
        if not isinstance(body, Mapping):
            raise ManifestError(f"{where}: expected a mapping document, got {type(body).__name__}")
        api = str(body.get("apiVersion") or "")
        kind = body.get("kind")
        if not api.startswith("argoproj.io/") or kind not in ARGO_KINDS:
            continue  # ConfigMaps, kustomizations, other Argo kinds: not ours to run
        meta = _mapping(body.get("metadata"), f"{where}: metadata")
        name = meta.get("name") or meta.get("generateName")
        if not name:
            raise ManifestError(f"{where}: {kind} has neither metadata.name nor generateName")
        _mapping(body.get("spec"), f"{where}: spec")
        yield ManifestDocument(kind=str(kind), name=str(name), source=where, body=dict(body))


def _merge_arguments(base: Any, override: Any, source: str) -> dict[str, Any]:
    base_map = dict(_mapping(base, f"{source}: arguments"))
    over_map = _mapping(override, f"{source}: spec.arguments")
    merged = {**base_map, **{k: v for k, v in over_map.items() if k != "parameters"}}
    merged["parameters"] = _merge_named(
        base_map.get("parameters") or [], over_map.get("parameters") or []
    )
    return merged


def _merge_named(base: list[Any], override: list[Any]) -> list[Any]:
    """Merge two lists of ``{name: ...}`` mappings; entries of ``override`` win by name."""
    merged = {item.get("name"): copy.deepcopy(item) for item in base}
    for item in override:
        name = item.get("name")
        merged[name] = {**merged.get(name, {}), **copy.deepcopy(item)}
    return list(merged.values())


def _mapping(value: Any, where: str) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ManifestError(f"{where}: expected a mapping, got {type(value).__name__}")
    return value


def _string_map(value: Any, where: str) -> dict[str, str]:
    return {str(k): str(v) for k, v in _mapping(value, where).items()}


def _one_line(exc: Exception) -> str:
    return " ".join(str(exc).split())
