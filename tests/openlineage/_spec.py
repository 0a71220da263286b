"""Validate OpenLineage events against the official spec (../shared/openlineage: OpenLineage.json
2-0-2 and facets/*.json at tag 1.52.0), fully offline with a `referencing` registry."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry, Resource

SPEC = Path(__file__).resolve().parents[2].parent / "shared" / "openlineage"


@functools.cache
def _registry() -> tuple[Registry, str, dict[str, str]]:
    core = json.loads((SPEC / "OpenLineage.json").read_text())
    resources = [(core["$id"], Resource.from_contents(core))]
    ids = {}
    for path in sorted((SPEC / "facets").glob("*.json")):
        facet = json.loads(path.read_text())
        resources.append((facet["$id"], Resource.from_contents(facet)))
        ids[path.stem] = facet["$id"]
    return Registry().with_resources(resources), core["$id"], ids


def _validator(ref: str) -> Draft202012Validator:
    registry, _, _ = _registry()
    return Draft202012Validator(
        {"$ref": ref}, registry=registry, format_checker=Draft202012Validator.FORMAT_CHECKER
    )


def _facet_errors(facets: dict[str, Any] | None) -> list[str]:
    _, _, ids = _registry()
    errors = []
    for key, facet in (facets or {}).items():
        base, _, fragment = facet["_schemaURL"].partition("#")
        stem = base.rsplit("/", 1)[-1].removesuffix(".json")
        if ids.get(stem) != base:
            errors.append(f"{key}: claims schema {base}, the official one is {ids.get(stem)}")
            continue
        validator = _validator(f"{base}#{fragment}")
        errors += [f"{key}: {e.message}" for e in validator.iter_errors(facet)]
    return errors


def errors(event: dict[str, Any]) -> list[str]:
    """Every way an event departs from the RunEvent schema and its facets' own schemas."""
    _, core, _ = _registry()
    found = [e.message for e in _validator(f"{core}#/$defs/RunEvent").iter_errors(event)]
    found += _facet_errors(event["run"].get("facets")) + _facet_errors(event["job"].get("facets"))
    for dataset in [*event.get("inputs", []), *event.get("outputs", [])]:
        for kind in ("facets", "inputFacets", "outputFacets"):
            found += _facet_errors(dataset.get(kind))
    return found
