"""Does a Prometheus query parse? Asked of Prometheus' own parser through ``promtool``.

``promtool check rules`` parses every rule's ``expr`` with the PromQL parser of the Prometheus
release it belongs to; the queries to check become recording rules of one temporary file, so a
single promtool call checks them all and each error is mapped back to its query. Without
promtool (Debian/Ubuntu package ``prometheus``, or the release tarball) nothing is parsed and the
caller is told so: there is no second PromQL parser here.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

import yaml

_RULE = re.compile(r'rule (\d+), "glassbox_lint_(\d+)": (?:could not parse expression: )?(.*)$')


def promtool() -> str | None:
    return shutil.which("promtool")


def check_queries(queries: Sequence[str]) -> dict[int, str] | None:
    """index -> parse error for each query that does not parse; None when promtool is missing."""
    tool = promtool()
    if tool is None:
        return None
    if not queries:
        return {}
    rules = [{"record": f"glassbox_lint_{i}", "expr": q} for i, q in enumerate(queries)]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "queries.yaml"
        path.write_text(yaml.safe_dump({"groups": [{"name": "lint", "rules": rules}]}))
        result = subprocess.run(
            [tool, "check", "rules", str(path)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    if result.returncode == 0:
        return {}
    errors: dict[int, str] = {}
    for line in (result.stdout + result.stderr).splitlines():
        found = _RULE.search(line)
        if found:
            errors[int(found.group(2))] = found.group(3).strip()
    if not errors:  # promtool failed for another reason: report it on every query
        message = (result.stderr or result.stdout).strip().splitlines()
        return dict.fromkeys(
            range(len(queries)), f"promtool failed: {message[-1] if message else ''}"
        )
    return errors
