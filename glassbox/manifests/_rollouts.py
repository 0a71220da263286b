"""Lint Argo Rollouts documents: what the controller checks and the CRD schema cannot see.

(The structure itself, strictly against the CRD schemas and the embedded Kubernetes types, is
``validate_k8s_object``'s job, see ``_crd``.)

For a Rollout (from ``pkg/apis/rollouts/validation`` and ``utils/analysis`` of Argo Rollouts
v1.9): the selector matches the pod template's labels; a canary step has exactly one type;
``setWeight`` within 0..100 (or ``trafficRouting.maxTrafficWeight``); pause durations parse;
canary and stable services differ; steps that need a traffic router have one. What the
controller only finds when the step runs: an analysis naming an AnalysisTemplate that is not
among the documents linted (``clusterScope`` for ClusterAnalysisTemplates), arguments the
templates do not declare (the controller drops them silently), template arguments without a
default that nobody supplies, ``valueFrom.fieldRef`` paths that do not resolve on the Rollout.
And steps out of order: a weight lower than an earlier one, an analysis before the first
``setWeight`` (the canary has no pods yet).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from glassbox.manifests._analysis_rules import (
    Query,
    check_queries,
    declared_args,
    go_duration,
    lint_template,
)
from glassbox.manifests._finding import Collector, Finding, document_label, join, names

STEP_TYPES = ("setWeight", "pause", "analysis", "experiment", "setCanaryScale",
              "setHeaderRoute", "setMirrorRoute", "plugin")  # fmt: skip
_NEEDS_ROUTER = ("setCanaryScale", "setHeaderRoute", "setMirrorRoute")
_TEMPLATE_KINDS = ("AnalysisTemplate", "ClusterAnalysisTemplate")
ROLLOUT_KINDS = ("Rollout", *_TEMPLATE_KINDS)
_METADATA_PATH = re.compile(r"^metadata\.(name|namespace|uid|(labels|annotations)\['([^']+)'\])$")

Catalog = dict[tuple[str, str], Mapping[str, Any]]


def is_rollouts_document(doc: object) -> bool:
    return (
        isinstance(doc, Mapping)
        and str(doc.get("apiVersion", "")).startswith("argoproj.io/")
        and doc.get("kind") in ROLLOUT_KINDS
    )


def lint_rollouts(documents: Iterable[tuple[str, object]]) -> list[Finding]:
    """The controller's findings for the Argo Rollouts documents among ``documents`` (one set:
    a Rollout's analysis finds its templates among them)."""
    docs = [
        (file, doc)
        for file, doc in documents
        if isinstance(doc, Mapping) and is_rollouts_document(doc)
    ]
    catalog: Catalog = {}
    for _, doc in docs:
        name = (doc.get("metadata") or {}).get("name")
        if doc.get("kind") in _TEMPLATE_KINDS and isinstance(name, str):
            catalog[(str(doc["kind"]), name)] = doc
    collectors: list[Collector] = []
    queries: list[Query] = []
    for file, doc in docs:
        out = Collector(file, document_label(doc))
        collectors.append(out)
        if doc.get("kind") == "Rollout":
            lint_rollout(doc, out, catalog)
        elif doc.get("kind") in _TEMPLATE_KINDS:
            lint_template(doc, out, queries)
    check_queries(queries)
    return [f for out in collectors for f in out.findings]


def lint_rollout(doc: Mapping[str, Any], out: Collector, catalog: Catalog) -> None:
    spec = doc.get("spec")
    if not isinstance(spec, Mapping):
        return
    _selector(spec, out)
    found = spec.get("strategy")
    strategy: Mapping[str, Any] = found if isinstance(found, Mapping) else {}
    canary = strategy.get("canary")
    if isinstance(canary, Mapping):
        _canary(doc, canary, out, catalog)
    blue_green = strategy.get("blueGreen")
    if isinstance(blue_green, Mapping):
        for field in ("prePromotionAnalysis", "postPromotionAnalysis"):
            if isinstance(blue_green.get(field), Mapping):
                _analysis(doc, blue_green[field], f"spec.strategy.blueGreen.{field}", out, catalog)


def _selector(spec: Mapping[str, Any], out: Collector) -> None:
    if spec.get("workloadRef") and spec.get("template"):
        out.error("spec.template", "give either template or workloadRef, not both")
    selector = spec.get("selector")
    template = spec.get("template")
    if not isinstance(selector, Mapping) or not isinstance(template, Mapping):
        return
    labels = (template.get("metadata") or {}).get("labels") or {}
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            out.error(
                f"spec.selector.matchLabels.{key}",
                f"selector does not match template labels: the pod template has "
                f"{key}={labels.get(key)!r}, the selector wants {value!r}",
            )


def _canary(
    doc: Mapping[str, Any], canary: Mapping[str, Any], out: Collector, catalog: Catalog
) -> None:
    base = "spec.strategy.canary"
    router = canary.get("trafficRouting")
    if canary.get("canaryService") and canary.get("canaryService") == canary.get("stableService"):
        out.error(f"{base}.stableService", "canaryService and stableService must be different")
    if not router:
        for field in ("scaleDownDelaySeconds", "dynamicStableScale"):
            if canary.get(field):
                out.error(f"{base}.{field}", f"{field} needs trafficRouting")
    if isinstance(canary.get("analysis"), Mapping):
        _analysis(doc, canary["analysis"], f"{base}.analysis", out, catalog)
    ceiling = 100
    if isinstance(router, Mapping) and isinstance(router.get("maxTrafficWeight"), int):
        ceiling = router["maxTrafficWeight"]
    steps = canary.get("steps")
    weight: tuple[int, int] | None = None  # (index, value) of the last setWeight
    for index, step in enumerate(steps if isinstance(steps, list) else []):
        path = f"{base}.steps[{index}]"
        if not isinstance(step, Mapping):
            continue
        _step_type(step, path, routed=bool(router), out=out)
        weight = _step_order(step, index, weight, ceiling=ceiling, out=out)
        if isinstance(step.get("pause"), Mapping):
            _pause(step["pause"], join(path, "pause"), out)
        if isinstance(step.get("analysis"), Mapping):
            _analysis(doc, step["analysis"], join(path, "analysis"), out, catalog)


def _step_type(step: Mapping[str, Any], path: str, *, routed: bool, out: Collector) -> None:
    kinds = [k for k in STEP_TYPES if step.get(k) is not None]
    if not kinds and not set(step) - set(STEP_TYPES):  # unknown keys: the schema's finding
        out.error(path, "a step needs one of " + ", ".join(STEP_TYPES))
    elif len(kinds) > 1:
        out.error(path, f"one type per step, this one has {', '.join(kinds)}")
    for kind in kinds:
        if kind in _NEEDS_ROUTER and not routed:
            out.error(join(path, kind), f"{kind} needs spec.strategy.canary.trafficRouting")


def _step_order(
    step: Mapping[str, Any],
    index: int,
    weight: tuple[int, int] | None,
    *,
    ceiling: int,
    out: Collector,
) -> tuple[int, int] | None:
    """Check the step's weight against the last one; returns the new (index, weight)."""
    path = f"spec.strategy.canary.steps[{index}]"
    value = step.get("setWeight")
    if isinstance(value, int) and not isinstance(value, bool):
        if not 0 <= value <= ceiling:
            out.error(join(path, "setWeight"), f"setWeight {value} is outside 0..{ceiling}")
            return weight
        if weight is not None and value < weight[1]:
            out.error(
                join(path, "setWeight"),
                f"steps out of order: setWeight {value} after setWeight {weight[1]} "
                f"(steps[{weight[0]}]); weights must not decrease",
            )
        return (index, value)
    if step.get("analysis") is not None and weight is None:
        out.error(
            join(path, "analysis"),
            "steps out of order: an analysis before the first setWeight analyses a canary "
            "that has no pods yet",
        )
    return weight


def _pause(pause: Mapping[str, Any], path: str, out: Collector) -> None:
    duration = pause.get("duration")
    if isinstance(duration, int) and not isinstance(duration, bool) and duration < 0:
        out.error(join(path, "duration"), f"a pause cannot last {duration} s")
    elif isinstance(duration, str) and not (duration.isdigit() or go_duration(duration)):
        out.error(
            join(path, "duration"), f"invalid duration {duration!r} (e.g. 30s, 5m, 1h, or seconds)"
        )


def _analysis(
    doc: Mapping[str, Any], analysis: Mapping[str, Any], path: str, out: Collector, catalog: Catalog
) -> None:
    found: list[Mapping[str, Any]] = []
    complete = True
    for index, ref in enumerate(analysis.get("templates") or []):
        if not isinstance(ref, Mapping):
            continue
        kind = "ClusterAnalysisTemplate" if ref.get("clusterScope") else "AnalysisTemplate"
        name = ref.get("templateName")
        template = catalog.get((kind, str(name)))
        if template is None:
            complete = False
            known = names(n for k, n in catalog if k == kind)
            out.error(
                f"{path}.templates[{index}].templateName",
                f"{kind} '{name}' is not among the documents linted (known: {known})",
            )
        else:
            found.append(template)
    declared: dict[str, Mapping[str, Any]] = {}
    for template in found:
        declared |= declared_args(template)
    given = _given_args(doc, analysis, path, out)
    if complete and found:
        for index, name in given.items():
            if name not in declared:
                out.error(
                    f"{path}.args[{index}].name",
                    f"argument '{name}' is not declared by the template(s) "
                    f"(declared: {names(declared)}); the controller would drop it",
                )
    for name, arg in declared.items():
        if "value" not in arg and "valueFrom" not in arg and name not in given.values():
            out.error(f"{path}.args", f"the template needs argument '{name}' (it has no default)")


def _given_args(
    doc: Mapping[str, Any], analysis: Mapping[str, Any], path: str, out: Collector
) -> dict[int, str]:
    given: dict[int, str] = {}
    for index, arg in enumerate(analysis.get("args") or []):
        if not isinstance(arg, Mapping) or not isinstance(arg.get("name"), str):
            continue
        given[index] = arg["name"]
        field_ref = ((arg.get("valueFrom") or {}).get("fieldRef") or {}).get("fieldPath")
        if isinstance(field_ref, str) and resolve_field(doc, field_ref) is None:
            out.error(
                f"{path}.args[{index}].valueFrom.fieldRef.fieldPath",
                f"'{field_ref}' does not resolve to a value on this Rollout",
            )
    return given


def resolve_field(doc: Mapping[str, Any], path: str) -> str | None:
    """The value an analysis argument's ``fieldRef`` takes on ``doc`` (None: unresolvable),
    as the controller computes it: Kubernetes field paths under ``metadata``, else a walk of
    the object split on ``.``, ``[`` and ``]`` that must end on a primitive value."""
    match = _METADATA_PATH.match(path)
    found = doc.get("metadata")
    metadata: Mapping[str, Any] = found if isinstance(found, Mapping) else {}
    if path.startswith("metadata"):
        if match is None:
            return None
        if match.group(2):
            value = (metadata.get(match.group(2)) or {}).get(match.group(3))
            return "" if value is None else str(value)  # a missing label reads as ""
        value = metadata.get(match.group(1))
        return None if value is None else str(value)
    node: Any = doc
    for section in filter(None, re.split(r"[.\[\]]+", path)):
        if isinstance(node, list):
            if not section.isdigit() or int(section) >= len(node):
                return None
            node = node[int(section)]
        elif isinstance(node, Mapping):
            node = node.get(section)
        else:
            return None
    return None if node is None or isinstance(node, Mapping | list) else str(node)
