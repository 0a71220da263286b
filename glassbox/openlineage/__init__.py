"""OpenLineage RunEvents for every step: START, then COMPLETE or FAIL.

Each event names the job (``<pipeline>.<step>``), the run (the step's MLflow run id as a
UUID), its parent (the pipeline run), the input and output datasets with schema, version
(= the MLflow dataset digest) and, for the datasets validate checked, data-quality metrics,
and the source code location (git commit). Transports are openlineage-python's own and are
configured its way (``openlineage.yml``, ``OPENLINEAGE_CONFIG``, ``OPENLINEAGE_URL``,
``OPENLINEAGE__TRANSPORT__...``, ``OPENLINEAGE_DISABLED``); with none of those set, the
embedded default appends JSON lines to ``$GLASSBOX_HOME/openlineage/events.jsonl``.
"""

from glassbox.openlineage._client import EVENTS_FILE, client, events_path, user_configured
from glassbox.openlineage._emit import emit_complete, emit_fail, emit_start
from glassbox.openlineage._events import run_uuid
from glassbox.openlineage._quality import record_quality

__all__ = [
    "EVENTS_FILE",
    "client",
    "emit_complete",
    "emit_fail",
    "emit_start",
    "events_path",
    "record_quality",
    "run_uuid",
    "user_configured",
]
