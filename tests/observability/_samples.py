"""Read Prometheus text exposition the way Prometheus does (prometheus_client's parser)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

Key = tuple[str, tuple[tuple[str, str], ...]]


def samples(text: str) -> dict[Key, float]:
    """{(name, sorted label pairs): value} of every sample in an exposition."""
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def registry_samples(registry: CollectorRegistry) -> dict[Key, float]:
    return samples(generate_latest(registry).decode())


def value(found: dict[Key, float], name: str, **labels: str) -> float:
    key = (name, tuple(sorted(labels.items())))
    assert key in found, (
        f"no sample {name}{labels}; have: {sorted(k for k in found if k[0] == name)}"
    )
    return found[key]


def families(text: str) -> dict[str, str]:
    """{metric family name: TYPE}."""
    return {f.name: f.type for f in text_string_to_metric_families(text)}
