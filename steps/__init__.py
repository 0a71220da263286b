"""Container step entrypoints: ``python -m steps.<name>``. Thin: parse, call glassbox, write outputs."""

from glassbox import _env as _env  # noqa: F401
