"""Quantities, cron schedules, time zones, retries and metrics."""

from __future__ import annotations

from decimal import Decimal

import pytest

from glassbox.manifests import lint_document
from glassbox.manifests._fields import cron_problem, parse_quantity, timezone_problem

from ._corpus import workflow


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("500m", Decimal("0.5")),
        ("2", Decimal(2)),
        (2, Decimal(2)),
        (0.25, Decimal("0.25")),
        ("1.5Gi", Decimal(1.5 * 1024**3)),
        ("256Mi", Decimal(256 * 1024**2)),
        ("1e3", Decimal(1000)),
        ("1E", Decimal(10**18)),
        ("100u", Decimal("0.0001")),
        ("+.5k", Decimal(500)),
    ],
)
def test_kubernetes_quantities_parse(text: object, value: Decimal) -> None:
    assert parse_quantity(text) == value


@pytest.mark.parametrize("text", ["256MB", "1gi", "abc", "", "1.2.3", "5 Gi", True, None, [1]])
def test_non_quantities_are_rejected(text: object) -> None:
    assert parse_quantity(text) is None


@pytest.mark.parametrize(
    "expression",
    [
        "0 3 * * *",
        "*/15 8-18 * * MON-FRI",
        "0 0 1 jan,jul ?",
        "@hourly",
        "@every 1h30m",
        "CRON_TZ=Europe/Paris 30 2 * * *",
    ],
)
def test_schedules_argo_accepts(expression: str) -> None:
    assert cron_problem(expression) is None


@pytest.mark.parametrize(
    ("expression", "problem"),
    [
        ("0 3 * *", "has 4 fields; expected 5"),
        ("0 0 3 * * *", "has 6 fields; expected 5"),
        ("0 25 * * *", "not a valid cron expression"),
        ("0 3 * * 5L", "day-of-week field '5L': 'L' is not allowed here"),
        ("0 3 * FOO *", "month field 'FOO': 'FOO' is not allowed here"),
        ("0 3 * * $", "may only hold numbers"),
        ("@fortnightly", "unknown descriptor '@fortnightly'"),
        ("@every soon", "unknown descriptor '@every soon'"),
        ("CRON_TZ=Mars/Olympus 0 3 * * *", "'Mars/Olympus' is not an IANA time zone name"),
    ],
)
def test_schedules_argo_rejects(expression: str, problem: str) -> None:
    found = cron_problem(expression)
    assert found is not None
    assert problem in found


@pytest.mark.parametrize("zone", ["Europe/Paris", "America/New_York", "UTC", "Local", ""])
def test_known_time_zones(zone: str) -> None:
    assert timezone_problem(zone) is None


@pytest.mark.parametrize("zone", ["Europe/Pariss", "CEST", "../../etc/passwd", "Paris"])
def test_unknown_time_zones(zone: str) -> None:
    assert timezone_problem(zone) is not None


def findings(templates: str) -> list[tuple[str, str]]:
    return [(f.path, f.message) for f in lint_document(workflow(templates))]


def test_retry_limits_and_backoffs() -> None:
    assert findings(
        """
        - name: main
          retryStrategy:
            limit: "{{workflow.parameters.retries}}"
            backoff: {duration: "30", cap: 1m30s}
          container: {image: busybox}
        """
    ) == [
        (
            "spec.templates[0].retryStrategy.limit",
            "{{workflow.parameters.retries}}: workflow parameter 'retries' is not declared in "
            "spec.arguments.parameters (declared: none)",
        )
    ]
    assert findings(
        """
        - name: main
          retryStrategy: {limit: three, backoff: {duration: 10x}}
          activeDeadlineSeconds: -5
          container: {image: busybox}
        """
    ) == [
        (
            "spec.templates[0].retryStrategy.limit",
            "retry limit must be a non-negative integer or an Argo variable, got 'three'",
        ),
        (
            "spec.templates[0].retryStrategy.backoff.duration",
            "'10x' is not a duration (seconds, or e.g. 30s, 2m, 1h)",
        ),
        (
            "spec.templates[0].activeDeadlineSeconds",
            "activeDeadlineSeconds must be a non-negative integer, got -5",
        ),
    ]


def test_metric_help_labels_and_buckets() -> None:
    assert findings(
        """
        - name: main
          metrics:
            prometheus:
              - name: glassbox_latency
                help: ""
                labels: [{key: 1bad, value: x}, {key: ok, value: ""}, {key: ok, value: y}]
                histogram: {value: "{{duration}}", buckets: [1, 0.5]}
              - name: glassbox_none
                help: nothing
          container: {image: busybox}
        """
    ) == [
        (
            "spec.templates[0].metrics.prometheus[0].help",
            "metric 'glassbox_latency' needs a non-empty help string",
        ),
        (
            "spec.templates[0].metrics.prometheus[0].labels[0].key",
            "label key '1bad' is invalid: use [a-zA-Z_][a-zA-Z0-9_]*",
        ),
        (
            "spec.templates[0].metrics.prometheus[0].labels[1].value",
            "label 'ok' has an empty value",
        ),
        ("spec.templates[0].metrics.prometheus[0].labels[2].key", "label key 'ok' is repeated"),
        (
            "spec.templates[0].metrics.prometheus[0].histogram.buckets",
            "metric 'glassbox_latency' needs at least one bucket, in strictly increasing order",
        ),
        (
            "spec.templates[0].metrics.prometheus[1]",
            "metric 'glassbox_none' must have exactly one of gauge, counter, histogram (has: none)",
        ),
    ]


def test_quantities_anywhere_in_the_document_are_checked() -> None:
    assert findings(
        """
        - name: main
          container:
            image: busybox
            resources: {requests: {cpu: "-1"}, limits: {memory: "{{inputs.parameters.memory}}"}}
          inputs: {parameters: [{name: memory, default: 1Gi}]}
          initContainers:
            - name: warm
              image: busybox
              resources: {limits: {memory: 1 GB}}
        """
    ) == [
        (
            "spec.templates[0].container.resources.requests.cpu",
            "requests.cpu must not be negative, got '-1'",
        ),
        (
            "spec.templates[0].initContainers[0].resources.limits.memory",
            "'1 GB' is not a Kubernetes quantity (e.g. 500m, 2, 1.5, 256Mi, 1Gi)",
        ),
    ]
