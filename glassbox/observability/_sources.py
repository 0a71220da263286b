"""The results of a window's check steps, found from the findings URIs the alert step gets."""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from glassbox.observability._errors import ObservabilityError

if TYPE_CHECKING:
    from glassbox.monitoring import MonitoringResult

#: Where the check steps keep their full result, beside ``findings/<name>.json`` in their run.
DRIFT_ARTIFACT = "drift/drift.json"  # DriftResult.to_dict() (steps.drift_reduce)
NANNYML_ARTIFACT = "nannyml/nannyml.json"  # MonitoringResult JSON (steps.performance)
_FINDINGS = re.compile(r"^(runs:/[^/\s]+)/findings/[^/\s]+\.json$")


@dataclass(frozen=True)
class WindowResults:
    drift: dict[str, Any] | None
    performance: MonitoringResult | None


def _sibling(source: str, uri: str, artifact: str) -> str:
    match = _FINDINGS.match(uri)
    if not match:
        raise ObservabilityError(
            f"findings[{source!r}]: expected runs:/<run_id>/findings/<name>.json, got {uri!r}"
        )
    return f"{match.group(1)}/{artifact}"


def _download(uri: str) -> str:
    import mlflow.artifacts

    try:
        local = mlflow.artifacts.download_artifacts(uri, dst_path=tempfile.mkdtemp())
    except Exception as exc:  # MLflow raises several unrelated types for a missing artifact
        reason = (str(exc).strip().splitlines() or [""])[0][:200]
        raise ObservabilityError(f"cannot download {uri}: {type(exc).__name__}: {reason}") from None
    return Path(local).read_text()


def window_results(findings: Mapping[str, str]) -> WindowResults:
    """Load the drift result and the NannyML result of a window from the alert step's
    ``{"drift": uri, "performance": uri, ...}``; an empty URI (check skipped) gives ``None``."""
    from glassbox.monitoring import MonitoringResult

    drift_uri = findings.get("drift") or ""
    perf_uri = findings.get("performance") or ""
    drift = (
        json.loads(_download(_sibling("drift", drift_uri, DRIFT_ARTIFACT))) if drift_uri else None
    )
    performance = (
        MonitoringResult.model_validate_json(
            _download(_sibling("performance", perf_uri, NANNYML_ARTIFACT))
        )
        if perf_uri
        else None
    )
    return WindowResults(drift=drift, performance=performance)
