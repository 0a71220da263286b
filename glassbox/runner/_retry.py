"""``retryStrategy`` as Argo's controller applies it, and Argo/Go duration strings."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from glassbox.runner._errors import ManifestError
from glassbox.runner._when import WhenError, evaluate_when

__all__ = ["RetryPlan", "parse_duration"]

_GO_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600}
_GO_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)")
_POLICIES = ("Always", "OnFailure", "OnError", "OnTransientError")


def parse_duration(value: Any, where: str) -> float:
    """Seconds in an Argo duration: an integer (seconds) or a Go duration such as ``1m30s``."""
    if isinstance(value, bool) or value is None:
        raise ManifestError(f"{where}: expected a duration such as '30s' or '1m', got {value!r}")
    if isinstance(value, int | float):
        return float(value)
    text = str(value).strip()
    if re.fullmatch(r"\d+", text):
        return float(text)
    total, pos = 0.0, 0
    while pos < len(text):
        match = _GO_PART.match(text, pos)
        if match is None:
            raise ManifestError(
                f"{where}: expected a duration such as '30s', '1m' or '1h30m', got {value!r}"
            )
        total += float(match.group(1)) * _GO_UNITS[match.group(2)]
        pos = match.end()
    if not text:
        raise ManifestError(f"{where}: expected a duration such as '30s' or '1m', got ''")
    return total


def _int_or_string(value: Any, where: str) -> int:
    if isinstance(value, bool):
        raise ManifestError(f"{where}: expected an integer, got {value!r}")
    try:
        return int(str(value).strip())
    except ValueError:
        raise ManifestError(f"{where}: expected an integer, got {value!r}") from None


@dataclass(frozen=True)
class RetryPlan:
    """When to retry a failed attempt and how long to wait first.

    ``limit`` counts retries (attempts = limit + 1); ``None`` retries without bound, as Argo
    does when ``limit`` is omitted. Waits are ``duration * factor**(n-1)`` for the n-th retry,
    capped by ``cap``; ``max_duration`` bounds the whole task from its first attempt.
    """

    limit: int | None
    policy: str
    duration: float | None = None
    factor: float | None = None
    cap: float | None = None
    max_duration: float | None = None
    expression: str | None = None

    @classmethod
    def parse(cls, spec: Any, where: str) -> RetryPlan | None:
        if spec is None:
            return None
        if not isinstance(spec, Mapping):
            raise ManifestError(f"{where}: retryStrategy must be a mapping, got {spec!r}")
        expression = spec.get("expression")
        if expression is not None:
            _check_expression(str(expression), f"{where}: retryStrategy.expression")
        policy = str(spec.get("retryPolicy") or "OnFailure")
        if policy not in _POLICIES:
            known = ", ".join(_POLICIES)
            raise ManifestError(
                f"{where}: retryStrategy.retryPolicy {policy!r} is not one of {known}"
            )
        limit = spec.get("limit")
        backoff = spec.get("backoff") or {}
        if not isinstance(backoff, Mapping):
            raise ManifestError(f"{where}: retryStrategy.backoff must be a mapping")
        duration = factor = cap = max_duration = None
        if backoff:
            if backoff.get("duration") in (None, ""):
                raise ManifestError(f"{where}: retryStrategy.backoff.duration is missing")
            duration = parse_duration(
                backoff["duration"], f"{where}: retryStrategy.backoff.duration"
            )
            if backoff.get("factor") not in (None, ""):
                factor = _positive_number(
                    backoff["factor"], f"{where}: retryStrategy.backoff.factor"
                )
            if backoff.get("cap") not in (None, ""):
                cap = parse_duration(backoff["cap"], f"{where}: retryStrategy.backoff.cap")
            if backoff.get("maxDuration") not in (None, ""):
                max_duration = parse_duration(
                    backoff["maxDuration"], f"{where}: retryStrategy.backoff.maxDuration"
                )
        return cls(
            limit=None
            if limit is None
            else max(0, _int_or_string(limit, f"{where}: retryStrategy.limit")),
            policy=policy,
            duration=duration,
            factor=factor,
            cap=cap,
            max_duration=max_duration,
            expression=None if expression is None else str(expression),
        )

    def retries_phase(self, phase: str) -> bool:
        """Whether the policy retries an attempt that ended ``Failed`` or ``Error``."""
        if self.policy == "Always":
            return phase in ("Failed", "Error")
        if self.policy == "OnFailure":
            return phase == "Failed"
        if self.policy == "OnError":
            return phase == "Error"
        return False  # OnTransientError: a local process has no transient infrastructure errors

    def expression_allows(self, exit_code: int | None, status: str, duration: float) -> bool:
        """Argo's ``retryStrategy.expression`` (both it and the policy must allow a retry)."""
        if self.expression is None:
            return True
        return evaluate_when(_bind(self.expression, exit_code, status, duration))

    def has_retry_left(self, attempts_made: int) -> bool:
        return self.limit is None or attempts_made <= self.limit

    def wait_before_retry(self, attempts_made: int) -> float:
        """Seconds to wait before the next attempt, after ``attempts_made`` attempts."""
        if self.duration is None:
            return 0.0
        wait = self.duration
        if self.factor:
            wait *= self.factor ** (attempts_made - 1)
        if self.cap is not None:
            wait = min(wait, self.cap)
        return wait


def _positive_number(value: Any, where: str) -> float:
    try:
        number = float(str(value).strip())
    except ValueError:
        raise ManifestError(f"{where}: expected a number, got {value!r}") from None
    if number < 0:
        raise ManifestError(f"{where}: expected a number >= 0, got {value!r}")
    return number


# The subset of Argo's retry expressions (expr-lang over ``lastRetry``) the local runner reads:
# comparisons of ``lastRetry.exitCode`` (bare or in ``asInt(...)``), ``lastRetry.status`` and
# ``lastRetry.duration``, joined by ``&&``/``||``/``and``/``or``/``!``.
_AS_INT = re.compile(r"asInt\(\s*lastRetry\.exitCode\s*\)")
_WORD_OPS = (
    (re.compile(r"\band\b"), "&&"),
    (re.compile(r"\bor\b"), "||"),
    (re.compile(r"\bnot\b"), "!"),
)


def _bind(expression: str, exit_code: int | None, status: str, duration: float) -> str:
    text = _AS_INT.sub(str(exit_code if exit_code is not None else -1), expression)
    text = text.replace("lastRetry.exitCode", f"'{'' if exit_code is None else exit_code}'")
    text = text.replace("lastRetry.status", f"'{status}'")
    text = text.replace("lastRetry.duration", str(duration))
    for pattern, op in _WORD_OPS:
        text = pattern.sub(op, text)
    return text


def _check_expression(expression: str, where: str) -> None:
    try:
        evaluate_when(_bind(expression, 1, "Failed", 1.0))
    except WhenError as exc:
        raise ManifestError(f"{where}: {exc}") from None
