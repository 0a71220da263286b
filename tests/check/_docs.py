"""The field tables of docs/monitor.md, for tests that keep it in sync with monitor.json."""

from __future__ import annotations

import re
from pathlib import Path

DOC = Path(__file__).resolve().parents[2] / "docs" / "monitor.md"


def section(title: str) -> str:
    text = DOC.read_text()
    start = text.index(f"### {title}\n")
    ends = [i for i in (text.find("\n## ", start), text.find("\n### ", start + 1)) if i > 0]
    return text[start : min(ends, default=len(text))]


def documented_fields(title: str) -> set[str]:
    """Backquoted names in the first column of the section's field table."""
    names: set[str] = set()
    for line in section(title).splitlines():
        if line.startswith("| `"):
            names |= set(re.findall(r"`([a-z_0-9]+)`", line.split("|")[1]))
    return names
