"""depends expressions, cycles and ancestry."""

from __future__ import annotations

import pytest

from glassbox.manifests._dag import (
    Dependency,
    DependsSyntaxError,
    ancestors,
    find_cycles,
    parse_depends,
)


def edges(graph: dict[str, str]) -> dict[str, list[Dependency]]:
    """``{"b": "a c"}``: b depends on a and c."""
    return {
        task: [Dependency(d, None, f"{task}.depends") for d in deps.split()]
        for task, deps in graph.items()
    }


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("extract", [("extract", None)]),
        ("a && (b.Succeeded || !c.Failed)", [("a", None), ("b", "Succeeded"), ("c", "Failed")]),
        ("fan-out.AnySucceeded||x-1", [("fan-out", "AnySucceeded"), ("x-1", None)]),
        ("  (( a ))  ", [("a", None)]),
    ],
)
def test_depends_expressions_name_their_tasks(
    expression: str, expected: list[tuple[str, str | None]]
) -> None:
    assert parse_depends(expression) == expected


@pytest.mark.parametrize(
    ("expression", "problem"),
    [
        ("a &&", "expression ends where a task name was expected"),
        ("(a || b", "missing ')'"),
        ("a b", "unexpected 'b'"),
        ("a && || b", "expected a task name, got '||'"),
        ("a; b", "unexpected text ';"),
        ("a)", "unexpected ')'"),
    ],
)
def test_malformed_depends_expressions_are_rejected(expression: str, problem: str) -> None:
    with pytest.raises(DependsSyntaxError, match=problem.replace("(", r"\(").replace(")", r"\)")):
        parse_depends(expression)


def test_cycles_are_found_once_each_in_task_order() -> None:
    graph = edges({"a": "", "b": "a d", "c": "b", "d": "c", "e": "e", "f": ""})
    assert find_cycles(graph, list(graph)) == [["b", "d", "c", "b"], ["e", "e"]]


def test_an_acyclic_graph_has_no_cycles() -> None:
    graph = edges({"a": "", "b": "a", "c": "a", "d": "b c"})
    assert find_cycles(graph, list(graph)) == []


def test_ancestry_is_transitive_and_cycle_safe() -> None:
    diamond = ancestors(edges({"a": "", "b": "a", "c": "a", "d": "b c"}))
    assert diamond == {"a": set(), "b": {"a"}, "c": {"a"}, "d": {"a", "b", "c"}}
    looped = ancestors(edges({"a": "b", "b": "a"}))
    assert looped == {"a": {"b"}, "b": {"a"}}
