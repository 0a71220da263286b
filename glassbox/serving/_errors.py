"""Serving errors: what a client did wrong (4xx, naming the field) or what failed here (5xx)."""

from __future__ import annotations

from typing import Any

from glassbox.errors import GlassboxError

# The `type` label of glassbox_serving_errors_total (see docs/serving.md).
INVALID_INPUT = "invalid_input"
MODEL_ERROR = "model_error"
AUDIT_ERROR = "audit_error"
OVERLOADED = "overloaded"
NOT_READY = "not_ready"
NOT_FOUND = "not_found"
SHUTTING_DOWN = "shutting_down"
ERROR_TYPES = (
    INVALID_INPUT,
    MODEL_ERROR,
    AUDIT_ERROR,
    OVERLOADED,
    NOT_READY,
    NOT_FOUND,
    SHUTTING_DOWN,
)


class ServingError(GlassboxError):
    """``glassbox serve`` cannot start or run (model, settings, audit directory)."""


class RequestError(Exception):
    """One request failed; ``to_json`` is the response body (never a traceback).

    ``code`` says what exactly (``missing_field``, ``unseen_category``, ...), ``field`` and
    ``index`` locate the problem in the body when it is about one value.
    """

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        error_type: str = INVALID_INPUT,
        field: str | None = None,
        index: int | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.error_type = error_type
        self.field = field
        self.index = index
        self.headers = headers or {}

    def to_json(self) -> dict[str, Any]:
        error: dict[str, Any] = {"type": self.error_type, "code": self.code}
        if self.field is not None:
            error["field"] = self.field
        if self.index is not None:
            error["index"] = self.index
        error["message"] = self.message
        return {"error": error}


def invalid(
    code: str, message: str, *, field: str | None = None, index: int | None = None
) -> RequestError:
    """A 422: the body is JSON but breaks the data contract."""
    return RequestError(422, code, message, field=field, index=index)
