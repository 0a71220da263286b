"""Argo template tags, item formatting and pod names."""

from __future__ import annotations

import pytest

from glassbox.runner._context import fnv32a, pod_name
from glassbox.runner._substitution import (
    Absent,
    UnresolvedReferenceError,
    item_node_desc,
    item_scope,
    param_string,
    render,
    render_deep,
)


def test_render_replaces_tags_once_and_tolerates_inner_spaces() -> None:
    scope = {"workflow.name": "wf-1", "inputs.parameters.x": "{{workflow.name}}"}

    assert render("{{ workflow.name }}/{{inputs.parameters.x}}", scope) == "wf-1/{{workflow.name}}"
    assert render("no tags", {}) == "no tags"


def test_render_deep_substitutes_strings_in_nested_structures_only() -> None:
    scope = {"a": "1"}

    assert render_deep({"k{{a}}": ["{{a}}", 2, {"x": "{{a}}"}]}, scope) == {
        "k{{a}}": ["1", 2, {"x": "1"}]
    }


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "{{workflow.nmae}}",
            r"cannot resolve \{\{workflow.nmae\}\}: no such variable in this scope",
        ),
        ("{{=workflow.name}}", r"expression tags \(\{\{=...\}\}\) are not supported"),
        ("{{tasks.a.outputs.result}}", "task 'a' was Skipped"),
    ],
)
def test_unresolvable_tags_raise(text: str, message: str) -> None:
    scope = {"workflow.name": "wf", "tasks.a.outputs.result": Absent("task 'a' was Skipped")}

    with pytest.raises(UnresolvedReferenceError, match=message):
        render(text, scope)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("text", "text"),
        (3, "3"),
        (0.5, "0.5"),
        (True, "true"),
        (None, ""),
        ({"b": 1, "a": [1, 2]}, '{"a":[1,2],"b":1}'),
    ],
)
def test_param_string_formats_yaml_values_like_argo(value: object, expected: str) -> None:
    assert param_string(value) == expected


def test_item_variables_and_node_names() -> None:
    item = {"date": "2024-01-01", "rows": 10, "meta": {"z": 1, "a": "x(y)"}}

    assert item_scope(item) == {
        "item": '{"date":"2024-01-01","meta":{"a":"x(y)","z":1},"rows":10}',
        "item.date": "2024-01-01",
        "item.rows": "10",
        "item.meta": '{"a":"x(y)","z":1}',
    }
    assert item_node_desc(item) == 'date:2024-01-01,meta:{"a":"xy","z":1},rows:10'
    assert item_node_desc([1, "a"]) == "[1 a]"
    assert item_scope(False) == {"item": "false"}


def test_fnv32a_matches_the_reference_vectors() -> None:
    assert fnv32a("") == 0x811C9DC5
    assert fnv32a("a") == 0xE40C292C
    assert fnv32a("foobar") == 0xBF9CF968


def test_pod_names_follow_argo_v2_naming() -> None:
    assert (
        pod_name("wf-abcde", "wf-abcde.train", "train-model")
        == f"wf-abcde-train-model-{fnv32a('wf-abcde.train')}"
    )
    assert pod_name("wf-abcde", "wf-abcde", "main") == "wf-abcde"
