"""``when`` conditions as govaluate evaluates them after substitution."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from glassbox.runner._when import WhenError, evaluate_when


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("run == run", True),
        ("skip == run", False),
        ("skip != run", True),
        ("'two words' == \"two words\"", True),
        ("true", True),
        ("true == false", False),
        ("5 > 3", True),
        ("10 < 9.5", False),
        ("-1 < 0", True),
        ("3 == 3.0", True),
        ("3 == '3'", False),  # a number never equals a string
        ("abc < abd", True),
        ("a == a && b == c", False),
        ("a == a || b == c", True),
        ("!(1 > 2)", True),
        ("(1 > 2 || 2 > 1) && x == x", True),
        ("result-42 =~ '^result-[0-9]+$'", None),  # '-' between bare words is govaluate arithmetic
        ("'result-42' =~ '^result-[0-9]+$'", True),
        ("'abc' !~ 'z'", True),
        ("[my-value] == 'my-value'", True),
    ],
)
def test_when_expressions(expression: str, expected: bool | None) -> None:
    if expected is None:
        with pytest.raises(WhenError, match="quote string values"):
            evaluate_when(expression)
    else:
        assert evaluate_when(expression) is expected


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("", "empty expression"),
        ("2024-01-01 == 2024-01-01", "quote string values"),
        ("1 + 1 == 2", r"unsupported token '\+'"),
        ("a.b == a.b", "unsupported bare word 'a.b'"),
        ("x in (a, b)", "unsupported bare word 'in'"),
        ("hello world == x", "unexpected 'world'"),
        ("3", "evaluated to 3.0, expected true or false"),
        ("a && b", "'&&' needs true or false on both sides"),
        ("1 < a", "cannot compare 1.0 < 'a'"),
        ("(true", r"missing '\)'"),
    ],
)
def test_invalid_when_is_a_clear_error(expression: str, message: str) -> None:
    with pytest.raises(WhenError, match=message):
        evaluate_when(expression)


@given(st.integers(-(10**6), 10**6), st.integers(-(10**6), 10**6))
def test_numeric_comparisons_match_python(a: int, b: int) -> None:
    assert evaluate_when(f"{a} < {b}") is (a < b)
    assert evaluate_when(f"{a} >= {b}") is (a >= b)
    assert evaluate_when(f"{a} == {b}") is (a == b)
