"""``monitor.json``: per-column entries, findings as JSON, strict JSON on disk (NaN → null)."""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from glassbox.check._errors import CheckError

if TYPE_CHECKING:
    from glassbox.check._inputs import Kind
    from glassbox.drift import FeatureDrift
    from glassbox.quality import QualityFinding

SEVERITIES = ("none", "warning", "critical")
_RANK = {name: rank for rank, name in enumerate(SEVERITIES)}
_STATISTICS = (
    "n_reference", "n_current", "missing_reference", "missing_current", "unseen_current",
    "psi", "js_distance", "kl_divergence", "ks_statistic", "ks_pvalue", "chi2_statistic",
    "chi2_pvalue", "chi2_dof", "wasserstein", "wasserstein_normalized", "reference_mean",
    "current_mean", "p_value_adjusted", "significant",
)  # fmt: skip


def worst(severities: Iterable[str]) -> str:
    return max(severities, key=_RANK.__getitem__, default="none")


def finding_json(finding: QualityFinding) -> dict[str, Any]:
    return finding.model_dump(mode="json")


def column_entry(
    kind: Kind,
    drift: FeatureDrift | None,
    problems: list[QualityFinding],
) -> dict[str, Any]:
    """One feature or model output: its statistics and the severity it gets from both checks.

    ``drift`` is None when the reference has no value in the column (nothing to compare)."""
    drift_severity = drift.severity if drift is not None else "none"
    quality_severity = worst(f.severity for f in problems)
    statistics: dict[str, Any] = {}
    if drift is not None:
        statistics = {key: getattr(drift, key) for key in _STATISTICS}
        present = drift.n_current + drift.missing_current
        statistics["missing_share_current"] = drift.missing_current / present if present else None
    return {
        "dtype": kind,
        "severity": worst((drift_severity, quality_severity)),
        "drift_severity": drift_severity,
        "quality_severity": quality_severity,
        "status": drift.status if drift is not None else "no_reference_data",
        "reasons": list(drift.reasons) if drift is not None else [],
        "quality_checks": sorted({f.check for f in problems}),
        "statistics": statistics,
    }


def clean(value: Any) -> Any:
    """JSON-ready: NaN and infinities become None, tuples lists, numpy scalars Python ones."""
    if isinstance(value, Mapping):
        return {str(k): clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        value = value.item()  # numpy scalar
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Path):
        return str(value)
    return value


def write_json(path: Path, document: Mapping[str, Any]) -> None:
    """Write strict JSON atomically (a reader never sees half a file)."""
    text = json.dumps(clean(document), indent=2, allow_nan=False) + "\n"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
        partial.write_text(text, encoding="utf-8")
        partial.replace(path)
    except OSError as exc:
        raise CheckError(
            f"--out {path.parent}: cannot write {path.name} ({exc.strerror})"
        ) from None
