"""The Hera-built manifest in the good corpus is what Hera generates today, and lints clean."""

from __future__ import annotations

import os

import yaml

from glassbox.manifests import lint_documents, lint_paths

from ._corpus import DATA
from ._hera_pipeline import build, render

GOLDEN = DATA / "good" / "hera-pipeline.yaml"


def test_hera_output_matches_the_committed_manifest() -> None:
    if os.environ.get("GLASSBOX_REGEN_GOLDEN") == "1":  # explicit opt-in, never set in CI
        GOLDEN.write_text(render(), encoding="utf-8")
    committed = list(yaml.safe_load_all(GOLDEN.read_text(encoding="utf-8")))
    generated = [workflow.to_dict() for workflow in build()]
    assert committed == generated
    assert GOLDEN.read_text(encoding="utf-8") == render()


def test_hera_output_lints_clean_in_memory_and_from_disk() -> None:
    assert lint_documents([("<hera>", workflow.to_dict()) for workflow in build()]) == []
    assert lint_paths([GOLDEN]) == []
