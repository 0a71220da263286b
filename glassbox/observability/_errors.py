"""The package's one exception."""

from __future__ import annotations

from glassbox.errors import GlassboxError


class ObservabilityError(GlassboxError):
    """Metrics could not be built or published (names the input, file or URL and what was
    expected)."""
