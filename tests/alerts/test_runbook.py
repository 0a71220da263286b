"""Every check an alert can carry links to a section that exists in docs/runbook.md."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from glassbox.alerts import CHECKS, github_anchor, runbook_anchor

from .conftest import make_alert

RUNBOOK = Path(__file__).resolve().parents[2] / "docs" / "runbook.md"


def _headings() -> list[str]:
    text = RUNBOOK.read_text(encoding="utf-8")
    text = re.sub(r"```.*?```", "", text, flags=re.DOTALL)  # no headings inside code blocks
    return re.findall(r"^#{1,6}\s+(.+?)\s*$", text, flags=re.MULTILINE)


def test_github_anchor_matches_githubs_slugs() -> None:
    assert github_anchor("Performance drop (realized)") == "performance-drop-realized"
    assert github_anchor("Data quality: all-NaN column") == "data-quality-all-nan-column"
    assert github_anchor("Estimated performance drop (CBPE)") == "estimated-performance-drop-cbpe"


@pytest.mark.parametrize("check", sorted(CHECKS))
def test_every_check_links_to_an_existing_runbook_heading(check: str) -> None:
    anchors = {github_anchor(h) for h in _headings()}
    assert runbook_anchor(check) in anchors
    assert make_alert(check=check).runbook_url().endswith(f"#{runbook_anchor(check)}")


def test_runbook_headings_are_unique_so_anchors_are_unambiguous() -> None:
    anchors = [github_anchor(h) for h in _headings()]
    assert len(anchors) == len(set(anchors))


def test_runbook_internal_links_point_at_existing_sections() -> None:
    anchors = {github_anchor(h) for h in _headings()}
    links = re.findall(r"\]\(#([^)]+)\)", RUNBOOK.read_text(encoding="utf-8"))
    assert links, "the runbook cross-links its sections"
    assert sorted(set(links) - anchors) == []


def test_each_check_section_says_what_it_means_what_to_do_and_how_to_resolve() -> None:
    text = RUNBOOK.read_text(encoding="utf-8")
    for check in ("data_drift", "performance", "alert_delivery_failure", "cron_silent"):
        heading = CHECKS[check]
        section = text.split(f"## {heading}\n", 1)[1].split("\n## ", 1)[0]
        for part in ("**What it means.**", "**What to do.**", "**Silence / resolve.**"):
            assert part in section, f"{heading}: missing {part}"
