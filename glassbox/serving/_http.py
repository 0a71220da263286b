"""Reading a request body safely and answering in JSON (one encoder, no traceback ever)."""

from __future__ import annotations

import json
from typing import Any

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from glassbox.serving._errors import RequestError

_encode = msgspec.json.Encoder().encode
_decode = msgspec.json.Decoder().decode
JSON = "application/json"


def respond(status: int, payload: Any, headers: dict[str, str] | None = None) -> Response:
    return Response(_encode(payload), status_code=status, media_type=JSON, headers=headers)


def error_response(error: RequestError) -> Response:
    return respond(error.status, error.to_json(), error.headers or None)


def _check_content_type(value: str) -> None:
    media, _, params = value.partition(";")
    if media.strip().lower() != JSON:
        shown = repr(value) if value else "missing"
        raise RequestError(
            415,
            "unsupported_media_type",
            f"Content-Type {shown}: expected {JSON} (a JSON object or an array of objects)",
        )
    for param in params.split(";"):
        key, _, val = param.partition("=")
        if key.strip().lower() == "charset" and val.strip().strip('"').lower() not in {
            "utf-8",
            "utf8",
        }:
            raise RequestError(
                415,
                "unsupported_charset",
                f"Content-Type charset {val.strip()!r}: expected utf-8",
            )


async def read_body(request: Request, limit: int) -> bytes:
    """The body, after checking its media type and size (413 before reading past ``limit``)."""
    _check_content_type(request.headers.get("content-type", ""))
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            raise RequestError(
                400, "bad_content_length", f"Content-Length {declared!r} is not a number"
            )
        if int(declared) > limit:
            raise _too_large(int(declared), limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large(size, limit)
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large(size: int, limit: int) -> RequestError:
    return RequestError(
        413,
        "body_too_large",
        f"body of {size} bytes or more: at most {limit} bytes (serving.requests.max_body_bytes); "
        "send fewer records per request",
    )


def decode_json(body: bytes) -> Any:
    """The decoded body; 400 naming the problem for empty, non-UTF-8 or malformed JSON.

    The fast decoder refuses ``NaN``/``Infinity`` literals (not JSON); the standard library's
    decoder reads them so the record check can name the field that holds one.
    """
    if not body.strip():
        raise RequestError(400, "empty_body", "body: empty; expected a JSON object or array")
    try:
        return _decode(body)
    except UnicodeDecodeError as exc:
        raise RequestError(
            400, "not_utf8", f"body: not valid UTF-8 (byte {exc.start}); JSON must be UTF-8"
        ) from None
    except (msgspec.DecodeError, msgspec.ValidationError):
        pass
    try:
        return json.loads(body)
    except json.JSONDecodeError as exc:
        raise RequestError(
            400,
            "malformed_json",
            f"body: not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}",
        ) from None
    except (UnicodeDecodeError, RecursionError, ValueError) as exc:
        raise RequestError(
            400, "malformed_json", f"body: not valid JSON ({type(exc).__name__})"
        ) from None


def encode(payload: Any) -> bytes:
    return _encode(payload)
