"""Argo's enhanced depends logic."""

from __future__ import annotations

import pytest

from glassbox.runner import ManifestError
from glassbox.runner._depends import TaskOutcome, from_dependencies, parse_depends

OK = TaskOutcome("Succeeded")
FAILED = TaskOutcome("Failed")
ERROR = TaskOutcome("Error")
SKIPPED = TaskOutcome("Skipped")
OMITTED = TaskOutcome("Omitted")


@pytest.mark.parametrize(
    ("depends", "outcomes", "expected"),
    [
        ("a", {"a": OK}, True),
        ("a", {"a": SKIPPED}, True),  # a bare name accepts Succeeded, Skipped, Daemoned
        ("a", {"a": FAILED}, False),
        ("a", {"a": OMITTED}, False),
        ("a.Failed", {"a": FAILED}, True),
        ("a.Failed", {"a": ERROR}, False),
        ("a.Errored", {"a": ERROR}, True),
        ("a.Omitted", {"a": OMITTED}, True),
        ("a.Skipped", {"a": OK}, False),
        ("a && b", {"a": OK, "b": FAILED}, False),
        ("a || b", {"a": OK, "b": FAILED}, True),
        ("a && !b.Failed", {"a": OK, "b": OK}, True),
        ("(a.Succeeded || a.Failed) && b-2", {"a": FAILED, "b-2": SKIPPED}, True),
        ("!(a || b)", {"a": FAILED, "b": OMITTED}, True),
        ("a.Succeeded || b.Failed && c", {"a": OK, "b": OK, "c": FAILED}, True),  # && binds tighter
        ("a.Daemoned", {"a": OK}, False),
    ],
)
def test_depends_evaluation(depends: str, outcomes: dict[str, TaskOutcome], expected: bool) -> None:
    parsed = parse_depends(depends, "task 'x'")

    assert parsed.tasks == frozenset(outcomes)
    assert parsed.evaluate(outcomes) is expected


def test_fan_out_results_any_succeeded_and_all_failed() -> None:
    some = TaskOutcome("Failed", any_succeeded=True, all_failed=False)
    none = TaskOutcome("Failed", any_succeeded=False, all_failed=True)

    assert parse_depends("m.AnySucceeded", "t").evaluate({"m": some})
    assert not parse_depends("m.AnySucceeded", "t").evaluate({"m": none})
    assert parse_depends("m.AllFailed", "t").evaluate({"m": none})


def test_continue_on_widens_a_bare_name() -> None:
    parsed = from_dependencies(["a", "b"], "t", {"a": frozenset({"Failed"})})

    assert parsed is not None
    assert parsed.evaluate({"a": FAILED, "b": OK})
    assert not parsed.evaluate({"a": ERROR, "b": OK})
    assert from_dependencies([], "t") is None


@pytest.mark.parametrize(
    ("depends", "message"),
    [
        (
            "a.Completed",
            r"task result 'Completed' for task 'a' is invalid \(Argo accepts Succeeded,",
        ),
        ("a &&", "expression ends early"),
        ("(a || b", r"missing '\)'"),
        ("a b", r"unexpected 'b' at column 3"),
        ("a & b", r"unexpected character '&'"),
        ("", "empty expression"),
    ],
)
def test_invalid_depends_is_a_manifest_error(depends: str, message: str) -> None:
    with pytest.raises(
        ManifestError, match=rf"^template 'main' task 'x': invalid depends .*{message}"
    ):
        parse_depends(depends, "template 'main' task 'x'")
