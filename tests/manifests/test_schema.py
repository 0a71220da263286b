"""validate_schema: the official Argo schema, its two quirks corrected, strict mode, fallback."""

from __future__ import annotations

import copy
import json
import shutil
import time
from pathlib import Path
from typing import Any

import pytest

from glassbox.manifests import LintError, schema_location, validate_schema

from ._corpus import DATA, argo_documents

TEMPLATE = DATA / "good" / "training-template.yaml"


@pytest.fixture
def template() -> dict[str, Any]:
    """A fresh copy of the good training WorkflowTemplate."""
    (doc,) = argo_documents(TEMPLATE)
    return doc


def extract(doc: dict[str, Any]) -> dict[str, Any]:
    """The ``extract`` container template of the training WorkflowTemplate."""
    found: dict[str, Any] = doc["spec"]["templates"][0]
    assert found["name"] == "extract"
    return found


@pytest.mark.parametrize("limit", [3, "3", 0, "{{inputs.parameters.retries}}"])
def test_int_or_string_fields_accept_integers_and_strings(
    template: dict[str, Any], limit: object
) -> None:
    extract(template)["retryStrategy"]["limit"] = limit
    extract(template)["activeDeadlineSeconds"] = limit
    extract(template)["retryStrategy"]["backoff"]["factor"] = limit
    assert validate_schema(template) == []


@pytest.mark.parametrize("limit", [2.5, True, [3], {"value": 3}])
def test_int_or_string_fields_reject_other_types(template: dict[str, Any], limit: object) -> None:
    extract(template)["retryStrategy"]["limit"] = limit
    (finding,) = validate_schema(template)
    assert finding.path == "spec.templates[0].retryStrategy.limit"
    assert finding.message.startswith("expected string or integer, got ")


@pytest.mark.skipif(
    schema_location() is None, reason="the official Argo schema file is not present"
)
def test_the_unpatched_official_schema_rejects_an_integer_limit(template: dict[str, Any]) -> None:
    """The quirk is real: without the correction, what Hera emits would not validate."""
    from jsonschema import Draft202012Validator

    location = schema_location()
    assert location is not None
    schema = json.loads(location.read_text())
    kind = schema["definitions"]["io.argoproj.workflow.v1alpha1.WorkflowTemplate"]
    raw = Draft202012Validator({**kind, "definitions": schema["definitions"]})
    errors = [list(e.absolute_path) for e in raw.iter_errors(template)]
    assert ["spec", "templates", 0, "retryStrategy", "limit"] in errors
    assert validate_schema(template) == []


def test_quantities_and_parameter_values_accept_yaml_numbers(template: dict[str, Any]) -> None:
    resources = extract(template)["container"]["resources"]
    resources["requests"]["cpu"] = 1
    resources["limits"]["cpu"] = 2.5
    template["spec"]["arguments"]["parameters"][0]["value"] = 42
    template["spec"]["arguments"]["parameters"].append(
        {"name": "flag", "value": True, "enum": [True, False]}
    )
    assert validate_schema(template) == []


def test_strict_mode_reports_misspelt_keys_at_every_depth(template: dict[str, Any]) -> None:
    extract(template)["container"]["resoures"] = extract(template)["container"].pop("resources")
    template["spec"]["entrypiont"] = template["spec"].pop("entrypoint")
    found = {(f.path, f.message) for f in validate_schema(template)}
    assert found == {
        (
            "spec.entrypiont",
            "unknown field 'entrypiont' in WorkflowSpec (did you mean 'entrypoint'?)",
        ),
        (
            "spec.templates[0].container.resoures",
            "unknown field 'resoures' in Container (did you mean 'resources'?)",
        ),
    }
    assert validate_schema(template, strict=False) == []


def test_strict_mode_keeps_maps_open(template: dict[str, Any]) -> None:
    template["metadata"]["annotations"] = {"glassbox.io/owner": "ml-platform", "x": "y"}
    template["spec"]["nodeSelector"] = {"kubernetes.io/arch": "amd64"}
    template["spec"]["podMetadata"] = {"labels": {"team": "ml"}}
    extract(template)["container"]["resources"]["limits"]["nvidia.com/gpu"] = 1
    assert validate_schema(template) == []


def test_unknown_key_without_a_close_match_lists_the_known_fields(template: dict[str, Any]) -> None:
    extract(template)["retryStrategy"]["banana"] = 1
    (finding,) = validate_schema(template)
    assert finding.path == "spec.templates[0].retryStrategy.banana"
    assert finding.message == (
        "unknown field 'banana' in RetryStrategy "
        "(known fields: affinity, backoff, expression, limit, retryPolicy)"
    )


def test_messages_name_the_missing_field_and_the_wrong_type(template: dict[str, Any]) -> None:
    del template["spec"]["templates"][-1]["dag"]["tasks"][1]["name"]
    template["spec"]["parallelism"] = "two"
    template["apiVersion"] = "argoproj.io/v1"
    found = {(f.path, f.message) for f in validate_schema(template)}
    assert found == {
        ("apiVersion", "expected 'argoproj.io/v1alpha1', got string \"argoproj.io/v1\""),
        ("spec.parallelism", 'expected integer, got string "two"'),
        ("spec.templates[6].dag.tasks[1]", "missing required field 'name'"),
    }


def test_documents_that_are_not_argo_manifests_are_reported() -> None:
    (finding,) = validate_schema({"apiVersion": "v1", "kind": "ConfigMap"})
    assert finding.path == "kind"
    assert "got 'ConfigMap'" in finding.message
    (finding,) = validate_schema(["not", "a", "mapping"])
    assert finding.message == "a manifest must be a mapping"


def test_validation_takes_well_under_50_ms_per_document(template: dict[str, Any]) -> None:
    docs = [copy.deepcopy(template) for _ in range(20)]
    assert validate_schema(docs[0]) == []  # builds and caches the validator
    start = time.perf_counter()
    for doc in docs:
        validate_schema(doc)
    assert (time.perf_counter() - start) / len(docs) < 0.05


def test_hera_models_stand_in_when_the_schema_file_is_absent(
    template: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GLASSBOX_ARGO_SCHEMA", "hera")
    assert schema_location() is None
    for file in sorted((DATA / "good").glob("*.yaml")):
        for doc in argo_documents(file):
            assert validate_schema(doc) == [], file
    extract(template)["retryStrategyy"] = extract(template).pop("retryStrategy")
    template["spec"]["parallelism"] = "two"
    template["kind"] = "Workflow"
    found = {(f.path, f.message) for f in validate_schema(template)}
    assert (
        "spec.templates[0].retryStrategyy",
        "unknown field 'retryStrategyy' in Template (did you mean 'retryStrategy'?)",
    ) in found
    assert ("spec.parallelism", 'expected integer, got string "two"') in found


def test_schema_path_from_the_environment(
    template: dict[str, Any], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    official = schema_location()
    missing = tmp_path / "missing.json"
    monkeypatch.setenv("GLASSBOX_ARGO_SCHEMA", str(missing))
    with pytest.raises(LintError, match=r"GLASSBOX_ARGO_SCHEMA=.*missing\.json: no such file"):
        validate_schema(template)
    broken = tmp_path / "broken.json"
    broken.write_text('{"definitions": {}}')
    monkeypatch.setenv("GLASSBOX_ARGO_SCHEMA", str(broken))
    with pytest.raises(
        LintError, match=r"broken\.json: no definitions for Workflow, WorkflowTemplate"
    ):
        validate_schema(template)
    if official is not None:  # a copy anywhere is used as the official file
        moved = tmp_path / "argo.json"
        shutil.copy(official, moved)
        monkeypatch.setenv("GLASSBOX_ARGO_SCHEMA", str(moved))
        assert schema_location() == moved.resolve()
        assert validate_schema(template) == []
