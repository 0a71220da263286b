"""Field-level rules the schema cannot express: cron, time zones, metrics, quantities, retries.

Each rule follows what Argo's controller (``workflow/validate``, ``robfig/cron`` and
``util/metrics``) or the Kubernetes API server would reject at submission time.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from glassbox.manifests._finding import Collector, join

CONCURRENCY_POLICIES = ("Allow", "Forbid", "Replace")
RETRY_POLICIES = ("Always", "OnFailure", "OnError", "OnTransientError")
METRIC_TYPES = ("gauge", "counter", "histogram")
_METRIC_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
_LABEL_KEY = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
_QUANTITY = re.compile(
    r"(?P<number>[+-]?(?:\d+(?:\.\d*)?|\.\d+))"
    r"(?:(?P<exponent>[eE][+-]?\d+)|(?P<suffix>Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]))?"
)
_SUFFIX = {
    "n": Decimal("1e-9"),
    "u": Decimal("1e-6"),
    "m": Decimal("1e-3"),
    "k": Decimal(10**3),
    "M": Decimal(10**6),
    "G": Decimal(10**9),
    "T": Decimal(10**12),
    "P": Decimal(10**15),
    "E": Decimal(10**18),
    **{s: Decimal(1024**i) for i, s in enumerate(("Ki", "Mi", "Gi", "Ti", "Pi", "Ei"), start=1)},
}
_GO_DURATION = re.compile(r"[-+]?(?:(?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+|0")
_CRON_DESCRIPTORS = (
    "@yearly",
    "@annually",
    "@monthly",
    "@weekly",
    "@daily",
    "@midnight",
    "@hourly",
)
_CRON_FIELDS = ("minute", "hour", "day-of-month", "month", "day-of-week")
_MONTHS = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"}
_WEEKDAYS = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"}


def is_variable(value: object) -> bool:
    """True for a string holding an Argo ``{{...}}`` variable, resolved only at run time."""
    return isinstance(value, str) and "{{" in value


def parse_quantity(value: object) -> Decimal | None:
    """The value of a Kubernetes quantity (``500m``, ``1.5Gi``, ``2``, ``1e3``), else ``None``."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return None
    match = _QUANTITY.fullmatch(str(value).strip())
    if match is None:
        return None
    try:
        number = Decimal(match["number"])
        if match["exponent"]:
            return number * Decimal(10) ** int(match["exponent"][1:])
    except (InvalidOperation, ValueError):
        return None
    return number * _SUFFIX.get(match["suffix"] or "", Decimal(1))


def cron_problem(expression: str) -> str | None:
    """Why ``robfig/cron``'s ``ParseStandard`` (Argo's parser) would reject ``expression``."""
    expr = expression.strip()
    if expr.startswith(("CRON_TZ=", "TZ=")):
        zone, _, expr = expr.partition(" ")
        problem = timezone_problem(zone.split("=", 1)[1])
        if problem:
            return problem
        expr = expr.strip()
    if expr.startswith("@"):
        return _descriptor_problem(expr)
    fields = expr.split()
    if len(fields) != len(_CRON_FIELDS):
        return (
            f"'{expression}' has {len(fields)} fields; expected 5 (minute hour day-of-month "
            "month day-of-week) or a descriptor such as @hourly"
        )
    for name, field in zip(_CRON_FIELDS, fields, strict=True):
        problem = _cron_field_problem(name, field)
        if problem:
            return f"'{expression}': {problem}"
    from croniter import croniter

    if not croniter.is_valid(expr):
        return f"'{expression}' is not a valid cron expression (a value is out of range)"
    return None


def _descriptor_problem(expr: str) -> str | None:
    every = expr.removeprefix("@every").strip()
    if expr in _CRON_DESCRIPTORS or (expr.startswith("@every ") and _GO_DURATION.fullmatch(every)):
        return None
    expected = ", ".join(_CRON_DESCRIPTORS)
    return f"unknown descriptor '{expr}' (expected {expected} or @every <duration>)"


def _cron_field_problem(name: str, field: str) -> str | None:
    if not re.fullmatch(r"[0-9A-Za-z*?,/\-]+", field):
        return f"{name} field '{field}' may only hold numbers, names, '*', '?', ',', '-' and '/'"
    allowed = _MONTHS if name == "month" else _WEEKDAYS if name == "day-of-week" else set()
    for word in re.findall(r"[A-Za-z]+", field):
        if word.upper() not in allowed:
            return f"{name} field '{field}': '{word}' is not allowed here"
    return None


def timezone_problem(name: str) -> str | None:
    """Why Go's ``time.LoadLocation`` would reject a time-zone name (``""`` and Local are fine)."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    if name in ("", "Local", "UTC"):
        return None
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return f"'{name}' is not an IANA time zone name (e.g. Europe/Paris, America/New_York, UTC)"
    return None


def check_cron_spec(spec: Mapping[str, Any], path: str, out: Collector) -> None:
    """``spec`` of a CronWorkflow: schedules, concurrencyPolicy, timezone, deadlines."""
    policy = spec.get("concurrencyPolicy")
    if isinstance(policy, str) and policy and policy not in CONCURRENCY_POLICIES:
        out.error(
            join(path, "concurrencyPolicy"),
            f"'{policy}' is not a valid concurrencyPolicy (expected Allow, Forbid or Replace)",
        )
    schedules = spec.get("schedules")
    if isinstance(schedules, list):
        for index, schedule in enumerate(schedules):
            problem = cron_problem(schedule) if isinstance(schedule, str) else None
            if problem:
                out.error(join(join(path, "schedules"), index), problem)
    legacy = spec.get("schedule")
    if isinstance(legacy, str) and legacy:
        if schedules:
            out.error(join(path, "schedule"), "set either schedule or schedules, not both")
        elif problem := cron_problem(legacy):
            out.error(join(path, "schedule"), problem)
    zone = spec.get("timezone")
    if isinstance(zone, str) and (problem := timezone_problem(zone)):
        out.error(join(path, "timezone"), problem)
    deadline = spec.get("startingDeadlineSeconds")
    if isinstance(deadline, int) and not isinstance(deadline, bool) and deadline < 0:
        out.error(join(path, "startingDeadlineSeconds"), "must not be negative")


def check_fields(value: object, path: str, out: Collector) -> None:
    """Walk a document and check every retryStrategy, resources, metrics and deadline in it."""
    if isinstance(value, list):
        for index, item in enumerate(value):
            check_fields(item, join(path, index), out)
        return
    if not isinstance(value, Mapping):
        return
    for key, sub in value.items():
        sub_path = join(path, str(key))
        if key == "retryStrategy" and isinstance(sub, Mapping):
            _check_retry(sub, sub_path, out)
        elif key == "resources" and isinstance(sub, Mapping):
            _check_resources(sub, sub_path, out)
        elif key == "metrics" and isinstance(sub, Mapping):
            _check_metrics(sub, sub_path, out)
        elif key == "activeDeadlineSeconds":
            _check_count(sub, sub_path, "activeDeadlineSeconds", out)
        check_fields(sub, sub_path, out)


def _check_count(value: object, path: str, what: str, out: Collector) -> None:
    """A non-negative integer, a string holding one, or an Argo variable (IntOrString)."""
    if is_variable(value) or isinstance(value, bool):
        return
    if isinstance(value, str):
        if not re.fullmatch(r"\s*[+-]?\d+\s*", value):
            out.error(
                path, f"{what} must be a non-negative integer or an Argo variable, got '{value}'"
            )
            return
        value = int(value)
    if isinstance(value, int) and value < 0:
        out.error(path, f"{what} must be a non-negative integer, got {value}")


def _check_retry(retry: Mapping[str, Any], path: str, out: Collector) -> None:
    if "limit" in retry:
        _check_count(retry["limit"], join(path, "limit"), "retry limit", out)
    policy = retry.get("retryPolicy")
    if isinstance(policy, str) and policy and policy not in RETRY_POLICIES:
        out.error(
            join(path, "retryPolicy"),
            f"'{policy}' is not a valid retryPolicy (expected {', '.join(RETRY_POLICIES)})",
        )
    backoff = retry.get("backoff")
    if isinstance(backoff, Mapping):
        for key in ("duration", "maxDuration", "cap"):
            text = backoff.get(key)
            if isinstance(text, str) and not is_variable(text) and not _is_duration(text):
                out.error(
                    join(join(path, "backoff"), key),
                    f"'{text}' is not a duration (seconds, or e.g. 30s, 2m, 1h)",
                )


def _is_duration(text: str) -> bool:
    return text.strip().isdigit() or _GO_DURATION.fullmatch(text.strip()) is not None


def _check_resources(resources: Mapping[str, Any], path: str, out: Collector) -> None:
    parsed: dict[str, dict[str, Decimal]] = {"limits": {}, "requests": {}}
    for section in ("limits", "requests"):
        block = resources.get(section)
        if not isinstance(block, Mapping):
            continue
        for resource, quantity in block.items():
            where = join(join(path, section), str(resource))
            if is_variable(quantity):
                continue
            amount = parse_quantity(quantity)
            if amount is None:
                out.error(
                    where,
                    f"{quantity!r} is not a Kubernetes quantity (e.g. 500m, 2, 1.5, 256Mi, 1Gi)",
                )
            elif amount < 0:
                out.error(where, f"{section}.{resource} must not be negative, got {quantity!r}")
            else:
                parsed[section][str(resource)] = amount
    for resource, request in parsed["requests"].items():
        limit = parsed["limits"].get(resource)
        if limit is not None and request > limit:
            out.error(
                join(join(path, "requests"), resource),
                f"requests.{resource} ({resources['requests'][resource]}) exceeds "
                f"limits.{resource} ({resources['limits'][resource]})",
            )


def _check_metrics(metrics: Mapping[str, Any], path: str, out: Collector) -> None:
    prometheus = metrics.get("prometheus")
    if not isinstance(prometheus, list):
        return
    for index, metric in enumerate(prometheus):
        if isinstance(metric, Mapping):
            _check_metric(metric, join(join(path, "prometheus"), index), out)


def _check_metric(metric: Mapping[str, Any], path: str, out: Collector) -> None:
    name = metric.get("name")
    if isinstance(name, str) and not _METRIC_NAME.fullmatch(name):
        out.error(
            join(path, "name"),
            f"metric name '{name}' is invalid: use letters, digits, '_' and ':' "
            "and do not start with a digit",
        )
    label = f"metric '{name}'"
    kinds = [kind for kind in METRIC_TYPES if metric.get(kind) is not None]
    if len(kinds) != 1:
        has = ", ".join(kinds) if kinds else "none"
        out.error(path, f"{label} must have exactly one of gauge, counter, histogram (has: {has})")
    if metric.get("help") == "":
        out.error(join(path, "help"), f"{label} needs a non-empty help string")
    labels = metric.get("labels")
    if isinstance(labels, list):
        _check_labels(labels, join(path, "labels"), out)
    histogram = metric.get("histogram")
    if isinstance(histogram, Mapping) and isinstance(histogram.get("buckets"), list):
        buckets = histogram["buckets"]
        numeric = [b for b in buckets if isinstance(b, int | float) and not isinstance(b, bool)]
        if not buckets or (len(numeric) == len(buckets) and numeric != sorted(set(numeric))):
            out.error(
                join(join(path, "histogram"), "buckets"),
                f"{label} needs at least one bucket, in strictly increasing order",
            )


def _check_labels(labels: list[Any], path: str, out: Collector) -> None:
    seen: set[str] = set()
    for index, item in enumerate(labels):
        if not isinstance(item, Mapping):
            continue
        key, where = item.get("key"), join(path, index)
        if isinstance(key, str) and not _LABEL_KEY.fullmatch(key):
            out.error(
                join(where, "key"), f"label key '{key}' is invalid: use [a-zA-Z_][a-zA-Z0-9_]*"
            )
        elif isinstance(key, str) and key in seen:
            out.error(join(where, "key"), f"label key '{key}' is repeated")
        if isinstance(key, str):
            seen.add(key)
        if item.get("value") == "":
            out.error(join(where, "value"), f"label '{key}' has an empty value")
