"""Semantic checks of one manifest: what Argo's ``workflow/validate`` rejects but the schema cannot.

Entrypoint and template references, DAG dependencies and cycles, ``{{...}}`` references and
required inputs, CronWorkflow schedules, metrics, quantities and retry limits. Two deliberate
differences from Argo, both stricter: a WorkflowTemplate's ``{{workflow.parameters.X}}`` must
be declared in its own ``spec.arguments`` (Argo defers that to the submitting Workflow), and a
task may only read outputs of tasks it depends on (Argo checks that only for plain arguments).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from glassbox.manifests._context import (
    Callee,
    Catalog,
    Context,
    parameter_names,
    spec_of,
    templates_of,
)
from glassbox.manifests._fields import check_cron_spec, check_fields
from glassbox.manifests._finding import ARGO_KINDS, Collector, Finding, document_label, join, names
from glassbox.manifests._nodes import (
    FIELD_NAME,
    check_dag,
    check_exit_handlers,
    check_inputs_supplied,
    check_names,
    check_steps,
    indexed,
)
from glassbox.manifests._refs import TEMPLATE_TYPES, Scope, input_names, template_type

_DNS_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
_PARAM_NAME = re.compile(r"[-a-zA-Z0-9_]+")
_POD_GC = ("OnPodCompletion", "OnPodSuccess", "OnWorkflowCompletion", "OnWorkflowSuccess")
_TEMPLATE_KINDS = ("WorkflowTemplate", "ClusterWorkflowTemplate")


def lint_document(doc: object, *, file: str = "", catalog: Catalog | None = None) -> list[Finding]:
    """Semantic findings for one Argo document (schema problems are :func:`validate_schema`'s).

    ``catalog`` maps ``(kind, name)`` of the (Cluster)WorkflowTemplates linted alongside; with
    it, ``workflowTemplateRef`` and ``templateRef`` targets must exist among them and the
    called templates' inputs and outputs are checked too. Without it, such references are only
    checked for being well formed.
    """
    if not isinstance(doc, Mapping):
        return [Finding(file, "<document>", "", "a manifest must be a mapping")]
    out = Collector(file, document_label(doc))
    kind = doc.get("kind")
    if kind not in ARGO_KINDS:
        out.error("kind", f"expected one of {', '.join(ARGO_KINDS)}, got {kind!r}")
        return out.findings
    _check_metadata(doc, str(kind), out)
    if not isinstance(doc.get("spec"), Mapping):
        return out.findings
    check_fields(doc, "", out)
    path = "spec"
    if kind == "CronWorkflow":
        check_cron_spec(doc["spec"], path, out)
        path = "spec.workflowSpec"
    spec = spec_of(doc)
    if spec:
        _lint_spec(spec, path, str(kind), out, catalog)
    return out.findings


def _check_metadata(doc: Mapping[str, Any], kind: str, out: Collector) -> None:
    meta = doc.get("metadata")
    if not isinstance(meta, Mapping):
        return
    name = meta.get("name")
    if not name and not (kind == "Workflow" and meta.get("generateName")):
        what = "name or generateName" if kind == "Workflow" else "name"
        out.error("metadata", f"a {kind} needs metadata.{what}")
    if not isinstance(name, str) or not name:
        return
    limit = 52 if kind == "CronWorkflow" else 63
    if len(name) > limit:
        out.error(
            "metadata.name", f"name is {len(name)} characters long; a {kind} allows at most {limit}"
        )
    if not _DNS_SUBDOMAIN.fullmatch(name):
        out.error(
            "metadata.name",
            f"'{name}' is not a valid Kubernetes name (lower-case letters, digits, '-' and '.')",
        )


def _lint_spec(
    spec: Mapping[str, Any], path: str, kind: str, out: Collector, catalog: Catalog | None
) -> None:
    templates = templates_of(spec)
    ctx = Context(out, templates, parameter_names(spec), catalog)
    arguments = spec.get("arguments")
    params = arguments.get("parameters") if isinstance(arguments, Mapping) else None
    check_names(
        ctx, indexed(params, join(join(path, "arguments"), "parameters")), "parameter", _PARAM_NAME
    )
    check_names(
        ctx, indexed(spec.get("templates"), join(path, "templates")), "template", FIELD_NAME
    )
    ref = spec.get("workflowTemplateRef")
    if isinstance(ref, Mapping):
        _check_template_ref(ctx, spec, path, ref)
    else:
        _check_entrypoint(ctx, spec, path, kind)
    gc = spec.get("podGC")
    strategy = gc.get("strategy") if isinstance(gc, Mapping) else None
    if isinstance(strategy, str) and strategy and strategy not in _POD_GC:
        ctx.error(
            join(join(path, "podGC"), "strategy"),
            f"unknown podGC strategy '{strategy}' (expected {names(_POD_GC)})",
        )
    ctx.scan({k: v for k, v in spec.items() if k != "templates"}, path, _global_scope(ctx))
    for template, template_path in indexed(spec.get("templates"), join(path, "templates")):
        if isinstance(template, Mapping):
            _check_template(ctx, template, template_path)


def _global_scope(ctx: Context) -> Scope:
    return Scope(template="", inputs=set(), input_artifacts=set(), globals=ctx.globals)


def _check_template_ref(
    ctx: Context, spec: Mapping[str, Any], path: str, ref: Mapping[str, Any]
) -> None:
    ref_path = join(path, "workflowTemplateRef")
    if not isinstance(ref.get("name"), str) or not ref["name"]:
        ctx.error(ref_path, "workflowTemplateRef needs a non-empty name")
        return
    if spec.get("templates"):
        ctx.error(
            join(path, "templates"),
            "a workflow that sets workflowTemplateRef must not define templates",
        )
    target = ctx.lookup(ref, join(ref_path, "name"))
    if target is None:
        ctx.globals = None  # the referenced template's parameters are unknown
        return
    target_spec = spec_of(target)
    target_templates = templates_of(target_spec)
    label = f"{target.get('kind')}/{ref['name']}"
    ctx.globals = (ctx.globals or set()) | parameter_names(target_spec)
    for key in ("entrypoint", "onExit"):
        name = spec.get(key) or (target_spec.get(key) if key == "entrypoint" else None)
        if isinstance(name, str) and name and name not in target_templates:
            ctx.error(
                join(path, key),
                f"template '{name}' does not exist in {label} "
                f"(templates: {names(target_templates)})",
            )
        elif key == "entrypoint" and isinstance(name, str) and name:
            supplied = _merged_arguments(spec, target_spec)
            check_inputs_supplied(
                ctx,
                Callee(target_templates[name], name),
                supplied,
                path,
                "spec.arguments",
                warn_extra=False,
            )


def _merged_arguments(spec: Mapping[str, Any], target: Mapping[str, Any]) -> dict[str, Any]:
    params: list[Any] = []
    for source in (spec, target):
        arguments = source.get("arguments")
        found = arguments.get("parameters") if isinstance(arguments, Mapping) else None
        params.extend(found if isinstance(found, list) else [])
    return {"parameters": params}


def _check_entrypoint(ctx: Context, spec: Mapping[str, Any], path: str, kind: str) -> None:
    entrypoint = spec.get("entrypoint")
    if not entrypoint and kind not in _TEMPLATE_KINDS:
        ctx.error(
            join(path, "entrypoint"),
            f"required: name the template to start (templates: {names(ctx.templates)})",
        )
    if isinstance(entrypoint, str) and entrypoint:
        if entrypoint not in ctx.templates:
            ctx.error(join(path, "entrypoint"), ctx.missing_template(entrypoint))
        elif kind not in _TEMPLATE_KINDS:
            callee = Callee(ctx.templates[entrypoint], entrypoint)
            check_inputs_supplied(
                ctx, callee, spec.get("arguments"), path, "spec.arguments", warn_extra=False
            )
    check_exit_handlers(ctx, spec, path)


def _check_template(ctx: Context, template: Mapping[str, Any], path: str) -> None:
    name = str(template.get("name") or "?")
    kinds = [kind for kind in TEMPLATE_TYPES if template.get(kind) is not None]
    if len(kinds) != 1:
        problem = f"sets {', '.join(kinds)}" if kinds else "has no type"
        ctx.error(
            path, f"template '{name}' {problem}: set exactly one of {', '.join(TEMPLATE_TYPES)}"
        )
    kind = template_type(template)
    for section in ("inputs", "outputs"):
        block = template.get(section)
        for what in ("parameters", "artifacts"):
            items = block.get(what) if isinstance(block, Mapping) else None
            check_names(
                ctx, indexed(items, join(join(path, section), what)), what[:-1], _PARAM_NAME
            )
    _check_outputs(ctx, template, path, kind)
    if kind in ("dag", "steps") and template.get("activeDeadlineSeconds") is not None:
        ctx.error(
            join(path, "activeDeadlineSeconds"),
            f"only valid on leaf templates, not on a {kind} template",
        )
    if kind not in (None, "dag", "steps") and template.get("parallelism") is not None:
        ctx.error(
            join(path, "parallelism"),
            f"only valid on dag and steps templates, not on a {kind} template",
        )
    timeout = template.get("timeout")
    if isinstance(timeout, str) and timeout.strip().isdigit():
        ctx.error(join(path, "timeout"), f"timeout '{timeout}' needs a unit (e.g. {timeout}s)")
    scope = Scope(
        template=name,
        inputs=input_names(template, "parameters"),
        input_artifacts=input_names(template, "artifacts"),
        globals=ctx.globals,
    )
    if kind in ("dag", "steps"):
        if kind == "dag":
            check_dag(ctx, template, path, scope)
        else:
            check_steps(ctx, template, path, scope)
        body = {k: v for k, v in template.items() if k != kind}
        scope.visible, scope.owner = None, f"template '{name}'"
        ctx.scan(body, path, scope)
    else:
        ctx.scan(template, path, scope)


def _check_outputs(ctx: Context, template: Mapping[str, Any], path: str, kind: str | None) -> None:
    outputs = template.get("outputs")
    params = outputs.get("parameters") if isinstance(outputs, Mapping) else None
    for param, param_path in indexed(params, join(join(path, "outputs"), "parameters")):
        if not isinstance(param, Mapping):
            continue
        label = f"output parameter '{param.get('name')}'"
        value_from = param.get("valueFrom")
        if param.get("value") is not None:
            if value_from is not None:
                ctx.error(param_path, f"{label} sets both value and valueFrom")
            continue
        if not isinstance(value_from, Mapping):
            ctx.error(param_path, f"{label} needs a value or a valueFrom")
        elif kind in ("container", "script", "containerSet") and not value_from.get("path"):
            ctx.error(
                join(param_path, "valueFrom"), f"{label} of a {kind} template needs valueFrom.path"
            )
        elif kind in ("dag", "steps") and not (
            value_from.get("parameter") or value_from.get("expression")
        ):
            ctx.error(
                join(param_path, "valueFrom"),
                f"{label} of a {kind} template needs valueFrom.parameter or expression",
            )
