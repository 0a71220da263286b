"""The OpenLineage client: the user's configuration when there is one, else a JSON-lines file
under GLASSBOX_HOME."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

EVENTS_FILE = Path("openlineage") / "events.jsonl"


def events_path() -> Path:
    """Where the embedded default writes: ``$GLASSBOX_HOME/openlineage/events.jsonl``."""
    from glassbox.tracking import glassbox_home

    return glassbox_home() / EVENTS_FILE


def user_configured(environ: dict[str, str] | None = None) -> bool:
    """Whether openlineage-python's own configuration is present: a config file (named by
    OPENLINEAGE_CONFIG, ./openlineage.yml, ~/.openlineage/openlineage.yml), OPENLINEAGE_URL,
    OPENLINEAGE__... variables or OPENLINEAGE_DISABLED."""
    env = os.environ if environ is None else environ
    if any(k.startswith("OPENLINEAGE__") for k in env) or env.get("OPENLINEAGE_URL"):
        return True
    if env.get("OPENLINEAGE_DISABLED"):
        return True
    files = [
        env.get("OPENLINEAGE_CONFIG", ""),
        str(Path.cwd() / "openlineage.yml"),
        str(Path("~/.openlineage/openlineage.yml").expanduser()),
    ]
    return any(f and Path(f).is_file() for f in files)


def client() -> Any:
    """An ``OpenLineageClient``: configured the openlineage way, or the embedded file default."""
    from openlineage.client import OpenLineageClient

    if user_configured():
        return OpenLineageClient()
    path = events_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    transport = {"type": "file", "log_file_path": str(path), "append": True}
    return OpenLineageClient(config={"transport": transport})
