"""What Argo Rollouts' controller checks in an AnalysisTemplate and the schema cannot see.

From ``utils/analysis/factory.go`` (``ValidateMetrics``/``ValidateMetric``): at least one
metric, unique names, count/limit consistency, an interval when count > 1, valid durations,
exactly one provider. Beyond that, what fails only when a rollout runs: ``{{args.x}}`` naming an
undeclared argument, a success/failure condition that does not compile (expr-lang, see
``_expr``), a Prometheus query that does not parse (promtool, see ``_promql``), a Job whose pod
may restart (the Job API requires ``restartPolicy`` Never or OnFailure), ``dryRun`` or
``measurementRetention`` naming a metric that does not exist.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from glassbox.manifests._expr import ExprError, check_condition
from glassbox.manifests._finding import Collector, join

_GO_DURATION = re.compile(r"^[-+]?(?:(?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|ms|s|m|h))+$|^0$")
_ARG_REF = re.compile(r"\{\{\s*args\.([^}\s]+)\s*\}\}")
PROVIDERS = ("prometheus", "job", "web", "wavefront", "kayenta", "datadog", "newRelic",
             "cloudWatch", "graphite", "influxdb", "skywalking", "plugin")  # fmt: skip


@dataclass(frozen=True)
class Query:
    """A Prometheus query waiting for promtool (checked in one batch)."""

    out: Collector
    path: str
    text: str


def go_duration(text: str) -> bool:
    return bool(_GO_DURATION.match(text.strip()))


def declared_args(template: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    spec = template.get("spec")
    args = spec.get("args") if isinstance(spec, Mapping) else None
    return {
        str(a["name"]): a
        for a in (args if isinstance(args, list) else [])
        if isinstance(a, Mapping) and "name" in a
    }


def substitute(text: str, args: Mapping[str, Mapping[str, Any]]) -> str:
    """``{{args.x}}`` replaced by the argument's default, or a placeholder of the same shape
    (a number inside conditions would be just as valid; a label value must stay a string)."""

    def value(match: re.Match[str]) -> str:
        arg = args.get(match.group(1), {})
        default = arg.get("value")
        return str(default) if isinstance(default, str | int | float) else "0"

    return _ARG_REF.sub(value, text)


def lint_template(doc: Mapping[str, Any], out: Collector, queries: list[Query]) -> None:
    spec = doc.get("spec")
    if not isinstance(spec, Mapping):
        return
    metrics = spec.get("metrics")
    if not isinstance(metrics, list) or not metrics:
        out.error("spec.metrics", "no metrics specified")
        return
    args = declared_args(doc)
    seen: dict[str, int] = {}
    for index, metric in enumerate(metrics):
        path = f"spec.metrics[{index}]"
        if not isinstance(metric, Mapping):
            continue
        name = str(metric.get("name"))
        if name in seen:
            out.error(
                join(path, "name"), f"duplicate metric name '{name}' (also metrics[{seen[name]}])"
            )
        seen.setdefault(name, index)
        _metric(metric, path, out)
        _references(metric, path, args, out)
        _conditions(metric, path, args, out)
        _provider(metric, path, args, out, queries)
    for field in ("dryRun", "measurementRetention"):
        for index, entry in enumerate(spec.get(field) or []):
            wanted = entry.get("metricName") if isinstance(entry, Mapping) else None
            if isinstance(wanted, str) and re.fullmatch(r"[\w.-]+", wanted) and wanted not in seen:
                out.error(
                    f"spec.{field}[{index}].metricName",
                    f"no metric named '{wanted}' (metrics: {', '.join(seen) or 'none'})",
                )


def _int(value: Any, default: int) -> int:
    if isinstance(value, bool):
        return default
    if isinstance(value, int):
        return value
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return default


def _metric(metric: Mapping[str, Any], path: str, out: Collector) -> None:
    count = _int(metric.get("count"), 0)
    failure = _int(metric.get("failureLimit"), 0)
    success = _int(metric.get("consecutiveSuccessLimit"), 0)
    inconclusive = _int(metric.get("inconclusiveLimit"), 0)
    problems = []
    if success < 0:
        problems.append(("consecutiveSuccessLimit", "must be >= 0"))
    if failure < -1:
        problems.append(("failureLimit", "must be >= 0, or -1 to be disabled"))
    if success == 0 and failure == -1:
        problems.append(
            ("failureLimit", "failureLimit and consecutiveSuccessLimit cannot both be disabled")
        )
    if inconclusive < 0:
        problems.append(("inconclusiveLimit", "must be >= 0"))
    if _int(metric.get("consecutiveErrorLimit"), 0) < 0:
        problems.append(("consecutiveErrorLimit", "must be >= 0"))
    if count > 0 and failure >= 0 and count < failure + success:
        limits = f"failureLimit + consecutiveSuccessLimit ({failure} + {success})"
        problems.append(("count", f"count ({count}) must be >= {limits}"))
    if count > 0 and count < inconclusive:
        problems.append(("count", "count must be >= inconclusiveLimit"))
    if count > 1 and not metric.get("interval"):
        problems.append(("interval", "interval must be specified when count > 1"))
    for field in ("interval", "initialDelay"):
        value = metric.get(field)
        if isinstance(value, str) and value and not go_duration(value):
            problems.append((field, f"invalid duration {value!r} (e.g. 30s, 5m, 1h)"))
    for field, message in problems:
        out.error(join(path, field), message)  # fmt: skip


def _references(
    metric: Mapping[str, Any], path: str, args: Mapping[str, Any], out: Collector
) -> None:
    text = json.dumps(metric)
    for name in sorted(set(_ARG_REF.findall(text)) - set(args)):
        out.error(
            path,
            f"'{{{{args.{name}}}}}' is not a declared argument "
            f"(spec.args: {', '.join(args) or 'none'})",
        )


def _conditions(
    metric: Mapping[str, Any], path: str, args: Mapping[str, Mapping[str, Any]], out: Collector
) -> None:
    for field in ("successCondition", "failureCondition"):
        condition = metric.get(field)
        if not isinstance(condition, str):
            continue
        try:
            check_condition(substitute(condition, args))
        except ExprError as exc:
            out.error(join(path, field), f"expression does not compile: {exc}")


def _provider(
    metric: Mapping[str, Any],
    path: str,
    args: Mapping[str, Mapping[str, Any]],
    out: Collector,
    queries: list[Query],
) -> None:
    provider = metric.get("provider")
    if not isinstance(provider, Mapping):
        return
    chosen = [p for p in PROVIDERS if provider.get(p)]
    if not chosen:
        out.error(join(path, "provider"), f"no provider specified (one of {', '.join(PROVIDERS)})")
    elif len(chosen) > 1:
        out.error(join(path, "provider"), f"multiple providers specified: {', '.join(chosen)}")
    prometheus = provider.get("prometheus")
    if isinstance(prometheus, Mapping) and isinstance(prometheus.get("query"), str):
        queries.append(
            Query(out, f"{path}.provider.prometheus.query", substitute(prometheus["query"], args))
        )
    job = provider.get("job")
    if isinstance(job, Mapping):
        template = (job.get("spec") or {}).get("template") or {}
        policy = (
            (template.get("spec") or {}).get("restartPolicy")
            if isinstance(template, Mapping)
            else None
        )
        if policy not in ("Never", "OnFailure"):
            out.error(
                f"{path}.provider.job.spec.template.spec.restartPolicy",
                f"a Job's pods need restartPolicy Never or OnFailure, got {policy!r}",
            )


def check_queries(queries: list[Query]) -> None:
    """Parse every queued query with promtool; findings land on each query's collector."""
    from glassbox.manifests._promql import check_queries as parse

    errors = parse([q.text for q in queries])
    if errors is None:
        for query in queries:
            query.out.warning(query.path, "PromQL not checked: promtool not found on PATH")
        return
    for index, message in errors.items():
        queries[index].out.error(queries[index].path, f"PromQL does not parse: {message}")
