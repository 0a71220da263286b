"""Process-wide environment guards, applied before MLflow, NannyML or Evidently are imported.

Every Glassbox entry point imports this module first (``glassbox/__init__.py`` does), so no
process started by the project phones home: MLflow telemetry, NannyML usage logging and
Evidently/other ``DO_NOT_TRACK`` aware libraries are switched off. Values a user has set
explicitly are kept, except that telemetry can never be switched back on by accident.
"""

from __future__ import annotations

import os

TELEMETRY_OFF: dict[str, str] = {
    "MLFLOW_DISABLE_TELEMETRY": "true",
    "DO_NOT_TRACK": "true",
    "NML_DISABLE_USAGE_LOGGING": "1",
    "EVIDENTLY_DISABLE_TELEMETRY": "1",
    "HF_HUB_OFFLINE": "1",
}


def disable_telemetry() -> None:
    """Force every telemetry switch off in this process (and the children it starts)."""
    for key, value in TELEMETRY_OFF.items():
        os.environ[key] = value


disable_telemetry()
