"""The checks an alert can come from, and the runbook section each one links to.

Every check name maps to a heading of ``docs/runbook.md``; the link anchor is the heading's
GitHub-style slug (``## Data quality: missing values`` -> ``#data-quality-missing-values``), so
the link opens the right section on GitHub, GitLab and most Markdown viewers. A test parses the
runbook and fails when a check has no section.
"""

from __future__ import annotations

import re
import unicodedata

RUNBOOK_PATH = "docs/runbook.md"

#: check name -> runbook heading (the section that explains it and what to do).
CHECKS: dict[str, str] = {
    "data_drift": "Data drift",
    "prediction_drift": "Prediction drift",
    "data_quality": "Data quality",
    "data_quality.schema": "Data quality: schema",
    "data_quality.missing_values": "Data quality: missing values",
    "data_quality.out_of_range": "Data quality: out-of-range values",
    "data_quality.unseen_categories": "Data quality: unseen categories",
    "data_quality.outliers": "Data quality: outliers",
    "data_quality.duplicate_ids": "Data quality: duplicate ids",
    "data_quality.empty_window": "Data quality: empty window",
    "data_quality.all_nan_column": "Data quality: all-NaN column",
    "performance": "Performance drop (realized)",
    "estimated_performance": "Estimated performance drop (CBPE)",
    "concept_drift": "Concept drift",
    "explanation_drift": "Explanation drift",
    "target_drift": "Target drift",
    "alert_delivery_failure": "Alert delivery failure",
    "cron_silent": "Cron silent",
    "pipeline_failure": "Pipeline failure",
    "model_promotion": "Model promoted",
    "model_rollback": "Model rolled back",
    "challenger_rejected": "Challenger rejected",
    "delivery_trigger": "Delivery trigger fired",
    "serving_latency": "Serving latency",
    "serving_errors": "Serving errors",
    "serving_throughput": "Serving throughput",
}

_SUB_CHECK = re.compile(r"^data_quality\.[a-z0-9_]{1,64}$")


def github_anchor(heading: str) -> str:
    """The anchor GitHub gives a Markdown heading: lower case, punctuation dropped, ' ' -> '-'."""
    text = unicodedata.normalize("NFKC", heading.strip()).lower()
    kept = "".join(ch for ch in text if ch.isalnum() or ch in " -_")
    return kept.replace(" ", "-")


def normalize_check(check: str) -> str:
    """Validate a check name: a key of :data:`CHECKS` or ``data_quality.<sub_check>``."""
    name = check.strip()
    if name in CHECKS or _SUB_CHECK.match(name):
        return name
    known = ", ".join(sorted(k for k in CHECKS if "." not in k))
    raise ValueError(
        f"unknown check {check!r}; expected one of {known} or data_quality.<sub_check>"
    )


def check_group(check: str) -> str:
    """The family of a check: ``data_quality.missing_values`` -> ``data_quality``."""
    return check.split(".", 1)[0]


def runbook_heading(check: str) -> str:
    """The runbook heading of a check; unknown data-quality sub-checks use the general section."""
    return CHECKS.get(check) or CHECKS[check_group(check)]


def runbook_anchor(check: str) -> str:
    """The ``#anchor`` (without '#') of the runbook section for ``check``."""
    return github_anchor(runbook_heading(check))
