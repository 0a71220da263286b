"""``when`` conditions, evaluated after substitution as Argo does with govaluate.

Supported: numbers, quoted strings, ``true``/``false``, bare words (read as strings, so
``{{x}} == done`` works), ``==``, ``!=``, ``<``, ``<=``, ``>``, ``>=``, ``=~``, ``!~``, ``&&``,
``||``, ``!``, unary ``-`` and parentheses. Anything else (arithmetic, ``in``, ternaries, bare
words with ``.`` or ``-``, which govaluate does not read as strings either) is a clear error.
"""

from __future__ import annotations

import re
from typing import NoReturn

from glassbox.runner._errors import RunnerError

__all__ = ["WhenError", "evaluate_when"]

Value = float | str | bool

_TOKEN = re.compile(
    r"""\s*(?:
      (?P<number>\d+(?:\.\d+)?(?:[eE][-+]?\d+)?(?![\w.]))
    | (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
    | (?P<escaped>\[[^\]]*\])
    | (?P<word>[A-Za-z][\w.]*)
    | (?P<op>==|!=|>=|<=|=~|!~|&&|\|\||[<>!()\-])
    )""",
    re.VERBOSE,
)
_UNSUPPORTED = re.compile(r"\s*(\+|\*|/|%|\?\?|\?|:|,|&|\||\^|~|\d[\w.]*)")
_COMPARATORS = ("==", "!=", ">", "<", ">=", "<=", "=~", "!~")


class WhenError(RunnerError):
    """A ``when`` condition that cannot be evaluated."""


def evaluate_when(expression: str) -> bool:
    """Evaluate a substituted ``when`` condition; raises :class:`WhenError` on bad input."""
    parser = _Parser(expression)
    value = parser.parse()
    if not isinstance(value, bool):
        raise WhenError(f"when {expression!r} evaluated to {value!r}, expected true or false")
    return value


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens: list[tuple[str, Value]] = []
        pos = 0
        while text[pos:].strip():
            match = _TOKEN.match(text, pos)
            if match is None:
                bad = _UNSUPPORTED.match(text, pos)
                shown = bad.group(1) if bad else text[pos:].lstrip()[0]
                self.fail(f"unsupported token {shown!r} (hint: quote string values)")
            self.tokens.append(self._token(match))
            pos = match.end()
        self.index = 0

    def _token(self, match: re.Match[str]) -> tuple[str, Value]:
        if match.group("number") is not None:
            return ("value", float(match.group("number")))
        if match.group("string") is not None:
            raw = match.group("string")[1:-1]
            return ("value", re.sub(r"\\(.)", r"\1", raw))
        if match.group("escaped") is not None:
            return ("value", match.group("escaped")[1:-1])
        word = match.group("word")
        if word is not None:
            if word in ("true", "false"):
                return ("value", word == "true")
            if "." in word or word in ("in", "IN"):
                self.fail(f"unsupported bare word {word!r} (hint: quote string values)")
            return ("value", word)
        return ("op", match.group("op"))

    def fail(self, problem: str) -> NoReturn:
        raise WhenError(f"invalid when {self.text!r}: {problem}")

    def peek_op(self) -> str | None:
        if self.index < len(self.tokens) and self.tokens[self.index][0] == "op":
            return str(self.tokens[self.index][1])
        return None

    def parse(self) -> Value:
        if not self.tokens:
            self.fail("empty expression")
        value = self.parse_or()
        if self.index < len(self.tokens):
            self.fail(f"unexpected {self.tokens[self.index][1]!r} (hint: quote string values)")
        return value

    def parse_or(self) -> Value:
        left = self.parse_and()
        while self.peek_op() == "||":
            self.index += 1
            right = self.parse_and()
            left = self._logical("||", left, right)
        return left

    def parse_and(self) -> Value:
        left = self.parse_comparison()
        while self.peek_op() == "&&":
            self.index += 1
            right = self.parse_comparison()
            left = self._logical("&&", left, right)
        return left

    def parse_comparison(self) -> Value:
        left = self.parse_unary()
        op = self.peek_op()
        if op in _COMPARATORS:
            self.index += 1
            right = self.parse_unary()
            return self._compare(str(op), left, right)
        return left

    def parse_unary(self) -> Value:
        if self.index >= len(self.tokens):
            self.fail("expression ends early")
        kind, value = self.tokens[self.index]
        self.index += 1
        if kind == "value":
            return value
        if value == "!":
            operand = self.parse_unary()
            if not isinstance(operand, bool):
                self.fail(f"'!' needs true or false, got {operand!r}")
            return not operand
        if value == "-":
            operand = self.parse_unary()
            if isinstance(operand, bool) or not isinstance(operand, float):
                self.fail(f"'-' needs a number, got {operand!r} (hint: quote string values)")
            return -float(operand)
        if value == "(":
            inner = self.parse_or()
            if self.peek_op() != ")":
                self.fail("missing ')'")
            self.index += 1
            return inner
        self.fail(f"unexpected {value!r}")

    def _logical(self, op: str, left: Value, right: Value) -> bool:
        if not isinstance(left, bool) or not isinstance(right, bool):
            self.fail(f"{op!r} needs true or false on both sides, got {left!r} and {right!r}")
        return (left and right) if op == "&&" else (left or right)

    def _compare(self, op: str, left: Value, right: Value) -> bool:
        if op in ("==", "!="):
            same = type(left) is type(right) and left == right
            return same if op == "==" else not same
        if op in ("=~", "!~"):
            if not isinstance(left, str) or not isinstance(right, str):
                self.fail(f"{op!r} needs strings on both sides, got {left!r} and {right!r}")
            try:
                found = re.search(str(right), str(left)) is not None
            except re.error as exc:
                self.fail(f"bad regular expression {right!r}: {exc}")
            return found if op == "=~" else not found
        both_numbers = isinstance(left, float) and isinstance(right, float)
        both_strings = isinstance(left, str) and isinstance(right, str)
        if not (both_numbers or both_strings):
            self.fail(f"cannot compare {left!r} {op} {right!r}")
        a, b = left, right
        results = {">": a > b, "<": a < b, ">=": a >= b, "<=": a <= b}  # type: ignore[operator]
        return results[op]
