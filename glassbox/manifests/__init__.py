"""Argo manifests: offline lint (JSON schema + the controller's semantic rules).

``lint_paths`` is what ``glassbox lint [PATHS]`` runs: every Argo document in the given files and
directories is validated against the Argo Workflows JSON schema (strict: unknown keys are
errors) and against the rules Argo's controller applies at submission (template and task
references, dependency cycles, ``{{...}}`` references, cron schedules, metrics, quantities).
Argo Rollouts documents (Rollout, AnalysisTemplate, ...) are validated against the Rollouts
CRD schemas made strict, their pod templates against the upstream Kubernetes schemas, and
against what the Rollouts controller checks (``_rollouts``: template references, arguments,
weights, step order; conditions compiled by a port of expr-lang's parser; PromQL parsed by
promtool).
"""

from glassbox.manifests._finding import Finding, LintError, Severity
from glassbox.manifests._lint import lint_documents, lint_paths
from glassbox.manifests._schema import schema_location, validate_schema
from glassbox.manifests._semantic import lint_document

__all__ = [
    "Finding",
    "LintError",
    "Severity",
    "lint_document",
    "lint_documents",
    "lint_paths",
    "schema_location",
    "validate_schema",
]
