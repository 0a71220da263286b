"""What the semantic checks of one workflow spec share: its templates, parameters and neighbours."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from glassbox.manifests._fields import is_variable
from glassbox.manifests._finding import Collector, join, names
from glassbox.manifests._refs import Scope, check, strings, tags

#: Other documents linted together, by (kind, metadata.name): where references are resolved.
Catalog = Mapping[tuple[str, str], Mapping[str, Any]]


@dataclass(frozen=True)
class Callee:
    """The template a task, step or entrypoint runs; ``template`` is None when not resolvable."""

    template: Mapping[str, Any] | None
    label: str


def spec_of(doc: Mapping[str, Any]) -> Mapping[str, Any]:
    """The workflow spec: ``spec``, or ``spec.workflowSpec`` of a CronWorkflow."""
    spec = doc.get("spec")
    if not isinstance(spec, Mapping):
        return {}
    if doc.get("kind") == "CronWorkflow":
        inner = spec.get("workflowSpec")
        return inner if isinstance(inner, Mapping) else {}
    return spec


def templates_of(spec: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    """Named templates of a workflow spec (first definition wins for duplicated names)."""
    found: dict[str, Mapping[str, Any]] = {}
    templates = spec.get("templates")
    for template in templates if isinstance(templates, list) else []:
        if isinstance(template, Mapping) and isinstance(template.get("name"), str):
            found.setdefault(template["name"], template)
    return found


def parameter_names(spec: Mapping[str, Any]) -> set[str]:
    """Names declared in ``spec.arguments.parameters``."""
    arguments = spec.get("arguments")
    params = arguments.get("parameters") if isinstance(arguments, Mapping) else None
    if not isinstance(params, list):
        return set()
    return {str(p["name"]) for p in params if isinstance(p, Mapping) and "name" in p}


@dataclass
class Context:
    """One workflow spec being linted, and the findings it produces."""

    out: Collector
    templates: dict[str, Mapping[str, Any]]
    globals: set[str] | None
    catalog: Catalog | None = None
    _reported: set[tuple[str, str]] = field(default_factory=set)

    def error(self, path: str, message: str) -> None:
        if (path, message) not in self._reported:
            self._reported.add((path, message))
            self.out.error(path, message)

    def scan(self, value: object, path: str, scope: Scope) -> None:
        """Report every ``{{reference}}`` in ``value`` that does not resolve in ``scope``."""
        for where, text in strings(value, path):
            for tag in tags(text):
                problem = check(tag, scope)
                if problem:
                    self.error(where, f"{{{{{tag}}}}}: {problem}")

    def missing_template(self, name: str) -> str:
        return f"template '{name}' does not exist (templates: {names(self.templates)})"

    def resolve(self, holder: Mapping[str, Any], path: str, owner: str) -> Callee | None:
        """The template a task or step calls; reports a missing or malformed reference."""
        name, ref, inline = holder.get("template"), holder.get("templateRef"), holder.get("inline")
        given = [
            key for key, v in (("template", name), ("templateRef", ref), ("inline", inline)) if v
        ]
        if len(given) != 1:
            problem = "sets " + " and ".join(given) if given else "sets none"
            self.error(path, f"{owner} {problem}: use exactly one of template, templateRef, inline")
            return None
        if isinstance(inline, Mapping):
            return Callee(inline, f"{owner} (inline)")
        if isinstance(name, str):
            return self._resolve_name(name, join(path, "template"))
        if isinstance(ref, Mapping):
            return self._resolve_ref(ref, join(path, "templateRef"))
        return None

    def _resolve_name(self, name: str, path: str) -> Callee | None:
        if is_variable(name):
            return Callee(None, name)
        if name not in self.templates:
            self.error(path, self.missing_template(name))
            return None
        return Callee(self.templates[name], name)

    def _resolve_ref(self, ref: Mapping[str, Any], path: str) -> Callee | None:
        missing = [k for k in ("name", "template") if not (isinstance(ref.get(k), str) and ref[k])]
        if missing:
            self.error(path, f"templateRef needs a non-empty {' and '.join(missing)}")
            return None
        owner, template = str(ref["name"]), str(ref["template"])
        label = f"{owner}/{template}"
        if self.catalog is None or is_variable(owner) or is_variable(template):
            return Callee(None, label)
        target = self.lookup(ref, join(path, "name"))
        if target is None:
            return None
        templates = templates_of(spec_of(target))
        if template not in templates:
            self.error(
                join(path, "template"),
                f"template '{template}' does not exist in {target.get('kind')}/{owner} "
                f"(templates: {names(templates)})",
            )
            return None
        return Callee(templates[template], label)

    def lookup(self, ref: Mapping[str, Any], path: str) -> Mapping[str, Any] | None:
        """The (Cluster)WorkflowTemplate a templateRef / workflowTemplateRef names, if linted."""
        if self.catalog is None:
            return None
        kind = "ClusterWorkflowTemplate" if ref.get("clusterScope") else "WorkflowTemplate"
        name = str(ref.get("name"))
        target = self.catalog.get((kind, name))
        if target is None:
            known = [n for k, n in self.catalog if k == kind]
            self.error(
                path, f"{kind} '{name}' is not among the linted documents (known: {names(known)})"
            )
        return target
