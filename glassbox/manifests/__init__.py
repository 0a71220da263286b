"""Kubernetes and Argo manifests: offline lint (strict schemas + the controllers' semantic rules).

``lint_paths`` is what ``glassbox lint [PATHS]`` runs. Every Argo document in the given files and
directories is validated against the Argo Workflows JSON schema (strict: unknown keys are
errors) and against the rules Argo's controller applies at submission (template and task
references, dependency cycles, ``{{...}}`` references, cron schedules, metrics, quantities).
Every other Kubernetes object goes through :func:`validate_k8s_object`: built-in kinds against
the upstream Kubernetes schemas of the target release (kubernetes-validate), custom resources
(Argo Rollouts, Prometheus Operator...) against their CRDs' schemas, both strict. Argo
Rollouts documents then get what the Rollouts controller checks and no schema can see
(``_rollouts``: template references, arguments, weights, step order; conditions compiled by a
port of expr-lang's parser; PromQL parsed by promtool).
"""

from glassbox.manifests._crd import CRD_PATH_ENV, crd_sources
from glassbox.manifests._finding import Finding, LintError, Severity
from glassbox.manifests._kube import DEFAULT_KUBERNETES_VERSION, kubernetes_versions
from glassbox.manifests._lint import lint_documents, lint_paths
from glassbox.manifests._objects import validate_k8s_object
from glassbox.manifests._schema import schema_location, validate_schema
from glassbox.manifests._semantic import lint_document

__all__ = [
    "CRD_PATH_ENV",
    "DEFAULT_KUBERNETES_VERSION",
    "Finding",
    "LintError",
    "Severity",
    "crd_sources",
    "kubernetes_versions",
    "lint_document",
    "lint_documents",
    "lint_paths",
    "schema_location",
    "validate_k8s_object",
    "validate_schema",
]
