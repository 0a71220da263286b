"""Container step entrypoints, ``python -m steps.<name>``: parse, call glassbox, write outputs."""

from glassbox import _env as _env
