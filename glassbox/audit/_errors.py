"""The audit package's exception."""

from __future__ import annotations

from glassbox.errors import GlassboxError


class AuditError(GlassboxError):
    """Audit input or state is unusable (names the column, field, run or file; what was expected).

    Never carries the HMAC key: messages only ever say whether a key was given.
    """
