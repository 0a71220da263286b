"""The ``Alert`` a monitoring check raises, and its stable deduplication key."""

from __future__ import annotations

import hashlib
import json
import math
import re
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, NamedTuple

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from glassbox.alerts._checks import RUNBOOK_PATH, check_group, normalize_check, runbook_anchor
from glassbox.alerts._errors import AlertError

MAX_DETAILS = 20
DetailValue = bool | int | float | str | None


class Severity(StrEnum):
    """How bad a check result is; ``none`` means the check passed (recovered)."""

    NONE = "none"
    WARNING = "warning"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return _RANK[self]


_RANK = {Severity.NONE: 0, Severity.WARNING: 1, Severity.CRITICAL: 2}


class Link(NamedTuple):
    href: str
    text: str


def _slug(text: str, limit: int) -> str:
    return re.sub(r"[^a-z0-9_.]+", "-", text.lower()).strip("-")[:limit] or "x"


def make_dedup_key(model: str, check: str, feature: str | None) -> str:
    """Readable and collision-free: slugs of the parts plus a hash of the exact parts.

    The severity is deliberately not part of it, so an escalation or a recovery refers to the
    same PagerDuty incident and the same cooldown entry.
    """
    exact = json.dumps([model, check, feature], ensure_ascii=False)
    digest = hashlib.sha256(exact.encode()).hexdigest()[:16]
    parts = [_slug(model, 80), _slug(check, 60)]
    if feature is not None:
        parts.append(_slug(feature, 80))
    return "glassbox-" + "-".join(parts) + "-" + digest


def _one_line(exc: ValidationError) -> str:
    problems = []
    for error in exc.errors():
        field = ".".join(str(part) for part in error["loc"]) or "alert"
        message = str(error["msg"]).removeprefix("Value error, ")
        problems.append(f"field {field!r}: {message}")
    return "invalid alert: " + "; ".join(problems)


class Alert(BaseModel):
    """One check result worth telling a person about (or its recovery, ``severity=none``)."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    model: str = Field(min_length=1, max_length=200)
    check: str = Field(min_length=1, max_length=100)
    feature: str | None = Field(default=None, min_length=1, max_length=200)
    severity: Severity
    summary: str = Field(min_length=1, max_length=4000)
    details: dict[str, DetailValue] = Field(default_factory=dict)
    mlflow_run_url: str | None = Field(default=None, min_length=1, max_length=2000)
    report_url: str | None = Field(default=None, min_length=1, max_length=2000)
    created_at: datetime = Field(default_factory=lambda: datetime.now(UTC))

    def __init__(self, /, **data: Any) -> None:
        try:
            super().__init__(**data)
        except ValidationError as exc:
            raise AlertError(_one_line(exc)) from None

    @classmethod
    def from_json(cls, text: str) -> Alert:
        """Parse an alert stored by :meth:`to_json` (raises ``AlertError`` when invalid)."""
        try:
            return cls.model_validate_json(text)
        except ValidationError as exc:
            raise AlertError(_one_line(exc)) from None

    def to_json(self) -> str:
        return self.model_dump_json()

    @field_validator("check")
    @classmethod
    def _known_check(cls, value: str) -> str:
        return normalize_check(value)

    @field_validator("mlflow_run_url", "report_url")
    @classmethod
    def _no_whitespace(cls, value: str | None) -> str | None:
        if value is not None and re.search(r"\s", value):
            raise ValueError("expected a URL without whitespace")
        return value

    @field_validator("details")
    @classmethod
    def _small_details(cls, value: dict[str, DetailValue]) -> dict[str, DetailValue]:
        if len(value) > MAX_DETAILS:
            raise ValueError(f"expected at most {MAX_DETAILS} entries, got {len(value)}")
        cleaned: dict[str, DetailValue] = {}
        for key, item in value.items():
            if not key or len(key) > 64:
                raise ValueError(f"expected keys of 1..64 characters, got {key[:80]!r}")
            if isinstance(item, str) and len(item) > 200:
                raise ValueError(f"entry {key!r}: expected a string of at most 200 characters")
            finite = not isinstance(item, float) or math.isfinite(item)
            cleaned[key] = item if finite else str(item)  # NaN/inf are not JSON: keep readable
        return cleaned

    @field_validator("created_at")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

    @property
    def dedup_key(self) -> str:
        return make_dedup_key(self.model, self.check, self.feature)

    @property
    def check_group(self) -> str:
        return check_group(self.check)

    @property
    def runbook_anchor(self) -> str:
        return runbook_anchor(self.check)

    def runbook_url(self, base: str = RUNBOOK_PATH) -> str:
        """``<base>#<anchor>``; ``base`` is the runbook's path or its URL on the code host."""
        return f"{base}#{self.runbook_anchor}"

    @property
    def subject(self) -> str:
        """``model: check on feature`` (without severity)."""
        where = f" on {self.feature}" if self.feature else ""
        return f"{self.model}: {self.check}{where}"

    @property
    def title(self) -> str:
        label = "RECOVERED" if self.severity is Severity.NONE else self.severity.value.upper()
        return f"{label} {self.subject}"

    def links(self, runbook_base: str = RUNBOOK_PATH) -> list[Link]:
        found = []
        if self.mlflow_run_url:
            found.append(Link(self.mlflow_run_url, "MLflow run"))
        if self.report_url:
            found.append(Link(self.report_url, "Evidently report"))
        found.append(Link(self.runbook_url(runbook_base), "Runbook"))
        return found
