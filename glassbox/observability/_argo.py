"""The names under which Argo's controller exposes a workflow's own (template) metrics."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

#: Argo's Prometheus exporter namespaces every metric, custom ones included (v3.x and v4:
#: ``prometheus.WithNamespace("argo_workflows")``, counters without a ``_total`` suffix added).
ARGO_PREFIX = "argo_workflows_"
_HISTOGRAM_SERIES = ("_bucket", "_sum", "_count")


def _metric_specs(value: Any) -> Iterator[Mapping[str, Any]]:
    if isinstance(value, Mapping):
        metrics = value.get("metrics")
        if isinstance(metrics, Mapping) and isinstance(metrics.get("prometheus"), list):
            yield from (m for m in metrics["prometheus"] if isinstance(m, Mapping))
        for sub in value.values():
            yield from _metric_specs(sub)
    elif isinstance(value, list):
        for sub in value:
            yield from _metric_specs(sub)


def argo_metric_names(documents: Iterable[Mapping[str, Any]]) -> frozenset[str]:
    """Every series name the Argo controller exposes for the ``metrics.prometheus`` entries of
    these manifests (Workflow-, WorkflowTemplate- and CronWorkflow-level and per template): the
    name with the ``argo_workflows_`` prefix, plus ``_bucket``/``_sum``/``_count`` for a
    histogram. Names built from ``{{...}}`` variables are unknown before run time: skipped."""
    names: set[str] = set()
    for doc in documents:
        for spec in _metric_specs(doc):
            name = spec.get("name")
            if not isinstance(name, str) or "{{" in name:
                continue
            exposed = ARGO_PREFIX + name
            if spec.get("histogram") is not None:
                names.update(exposed + suffix for suffix in _HISTOGRAM_SERIES)
            else:
                names.add(exposed)
    return frozenset(names)
