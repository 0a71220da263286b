"""Progressive delivery: the challenger/champion lifecycle, canary and shadow analysis,
trigger rules.

- Lifecycle: a gated version becomes ``challenger`` once a ``champion`` exists
  (``register_gated``); ``promote`` / ``rollback`` / ``reject`` move the aliases, each move
  recorded as an MLflow run in the delivery experiment plus model-version tags, and announced
  through glassbox.alerts (``announce``); ``history`` reads the moves back.
- Analysis: ``Evidence`` from a shadow log (``read_shadow_log`` of ``ShadowRecord`` lines,
  ``from_shadow``) or from Prometheus (``prometheus_evidence``) -> ``analyze`` ->
  ``CanaryAnalysis``: a verdict (promote / continue / rollback), its reasons, and the figures
  and test of every criterion.
- Triggers: ``{metric, threshold, action}`` rules with a cooldown each, evaluated against metric
  values (``TriggerEngine``), their state persisted in SQLite.

Settings: the ``delivery:`` section of mlruns_config/glassbox.yaml (``DeliverySettings``).

Names are imported on first use (PEP 562), so ``glassbox.config``, which types its
``delivery:`` section with ``DeliverySettings``, does not pay for numpy, scipy or mlflow.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from glassbox.delivery._errors import AnalysisInputError, DeliveryError, TriggerError
from glassbox.delivery._settings import (
    AnalysisSettings,
    Criterion,
    DeliverySettings,
    PrometheusSettings,
    TriggerRule,
)

_LAZY = {
    "glassbox.delivery._analysis": ("EXIT_CODES", "EXIT_ERROR", "CanaryAnalysis", "Verdict",
                                    "analyze"),
    "glassbox.delivery._criteria": ("CriterionResult",),
    "glassbox.delivery._evidence": ("Evidence", "Histogram", "Labelled", "from_shadow",
                                    "targets_frame"),
    "glassbox.delivery._lifecycle": ("Lifecycle", "Registration", "announce",
                                     "previous_champion", "promote", "register_gated", "reject",
                                     "rollback"),
    "glassbox.delivery._prometheus": ("PrometheusClient", "prometheus_evidence"),
    "glassbox.delivery._records": ("AliasMove", "history", "render"),
    "glassbox.delivery._run": ("AnalyzeOptions", "AnalyzeResult", "run_analysis"),
    "glassbox.delivery._shadow": ("SCHEMA_VERSION", "ShadowLog", "ShadowRecord", "SideOutcome",
                                  "read_shadow_log", "write_shadow_log"),
    "glassbox.delivery._triggers": ("TriggerDecision", "TriggerEngine", "act"),
    "glassbox.delivery._window": ("trigger_names", "window_metrics"),
}  # fmt: skip
_WHERE = {name: module for module, names in _LAZY.items() for name in names}

if TYPE_CHECKING:
    from glassbox.delivery._analysis import (
        EXIT_CODES,
        EXIT_ERROR,
        CanaryAnalysis,
        Verdict,
        analyze,
    )
    from glassbox.delivery._criteria import CriterionResult
    from glassbox.delivery._evidence import (
        Evidence,
        Histogram,
        Labelled,
        from_shadow,
        targets_frame,
    )
    from glassbox.delivery._lifecycle import (
        Lifecycle,
        Registration,
        announce,
        previous_champion,
        promote,
        register_gated,
        reject,
        rollback,
    )
    from glassbox.delivery._prometheus import PrometheusClient, prometheus_evidence
    from glassbox.delivery._records import AliasMove, history, render
    from glassbox.delivery._run import AnalyzeOptions, AnalyzeResult, run_analysis
    from glassbox.delivery._shadow import (
        SCHEMA_VERSION,
        ShadowLog,
        ShadowRecord,
        SideOutcome,
        read_shadow_log,
        write_shadow_log,
    )
    from glassbox.delivery._triggers import TriggerDecision, TriggerEngine, act
    from glassbox.delivery._window import trigger_names, window_metrics


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'glassbox.delivery' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "EXIT_CODES",
    "EXIT_ERROR",
    "SCHEMA_VERSION",
    "AliasMove",
    "AnalysisInputError",
    "AnalysisSettings",
    "AnalyzeOptions",
    "AnalyzeResult",
    "CanaryAnalysis",
    "Criterion",
    "CriterionResult",
    "DeliveryError",
    "DeliverySettings",
    "Evidence",
    "Histogram",
    "Labelled",
    "Lifecycle",
    "PrometheusClient",
    "PrometheusSettings",
    "Registration",
    "ShadowLog",
    "ShadowRecord",
    "SideOutcome",
    "TriggerDecision",
    "TriggerEngine",
    "TriggerError",
    "TriggerRule",
    "Verdict",
    "act",
    "analyze",
    "announce",
    "from_shadow",
    "history",
    "previous_champion",
    "prometheus_evidence",
    "promote",
    "read_shadow_log",
    "register_gated",
    "reject",
    "render",
    "rollback",
    "run_analysis",
    "targets_frame",
    "trigger_names",
    "window_metrics",
    "write_shadow_log",
]
