"""Argo's enhanced ``depends`` logic (and ``dependencies``, its older list form).

Operands are ``task`` or ``task.<Result>`` with Result one of Argo's task results; ``&&``, ``||``,
``!`` and parentheses combine them. A bare ``task`` means
``(task.Succeeded || task.Skipped || task.Daemoned)``, widened by the task's ``continueOn``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import NoReturn

from glassbox.runner._errors import ManifestError

__all__ = ["TASK_RESULTS", "DependsExpr", "TaskOutcome", "from_dependencies", "parse_depends"]

TASK_RESULTS = (
    "Succeeded",
    "Failed",
    "Errored",
    "Skipped",
    "Omitted",
    "Daemoned",
    "AnySucceeded",
    "AllFailed",
)
_TOKEN = re.compile(
    r"\s*(?:(?P<op>&&|\|\||!|\(|\))|(?P<task>[A-Za-z0-9_][-A-Za-z0-9_]*)(?:\.(?P<result>\w+))?)"
)


@dataclass(frozen=True)
class TaskOutcome:
    """What ``depends`` can see of a finished task: its phase and, for fan-outs, its items."""

    phase: str
    any_succeeded: bool = False
    all_failed: bool = False


_Eval = Callable[[Mapping[str, TaskOutcome]], bool]


def _result_test(task: str, result: str) -> _Eval:
    def test(outcomes: Mapping[str, TaskOutcome]) -> bool:
        outcome = outcomes[task]
        if result == "AnySucceeded":
            return outcome.any_succeeded
        if result == "AllFailed":
            return outcome.all_failed
        if result == "Daemoned":
            return False  # the local runner has no daemon containers
        phase = "Error" if result == "Errored" else result
        return outcome.phase == phase

    return test


@dataclass(frozen=True)
class DependsExpr:
    """A parsed ``depends`` expression: the tasks it waits for and its truth test."""

    source: str
    tasks: frozenset[str]
    _test: _Eval

    def evaluate(self, outcomes: Mapping[str, TaskOutcome]) -> bool:
        """True when the task should run, given the outcomes of every task in ``tasks``."""
        return self._test(outcomes)


class _Parser:
    def __init__(self, text: str, where: str, continue_on: Mapping[str, frozenset[str]]) -> None:
        self.text = text
        self.where = where
        self.continue_on = continue_on
        self.tokens: list[tuple[str, str, str | None, int]] = []
        self.tasks: set[str] = set()
        pos = 0
        while pos < len(text):
            match = _TOKEN.match(text, pos)
            if match is None or match.end() == pos:
                if not text[pos:].strip():
                    break
                self.fail(f"unexpected character {text[pos:].lstrip()[0]!r}", pos)
            if match.group("op"):
                self.tokens.append(("op", match.group("op"), None, match.start("op")))
            else:
                self.tokens.append(
                    ("task", match.group("task"), match.group("result"), match.start("task"))
                )
            pos = match.end()
        self.index = 0

    def fail(self, problem: str, column: int) -> NoReturn:
        raise ManifestError(
            f"{self.where}: invalid depends {self.text!r}: {problem} at column {column + 1}"
        )

    def peek(self) -> tuple[str, str, str | None, int] | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def parse(self) -> _Eval:
        if not self.tokens:
            self.fail("empty expression", 0)
        test = self.parse_or()
        extra = self.peek()
        if extra is not None:
            self.fail(f"unexpected {extra[1]!r}", extra[3])
        return test

    def parse_or(self) -> _Eval:
        parts = [self.parse_and()]
        while (tok := self.peek()) is not None and tok[:2] == ("op", "||"):
            self.index += 1
            parts.append(self.parse_and())
        return parts[0] if len(parts) == 1 else lambda o: any(p(o) for p in parts)

    def parse_and(self) -> _Eval:
        parts = [self.parse_unary()]
        while (tok := self.peek()) is not None and tok[:2] == ("op", "&&"):
            self.index += 1
            parts.append(self.parse_unary())
        return parts[0] if len(parts) == 1 else lambda o: all(p(o) for p in parts)

    def parse_unary(self) -> _Eval:
        tok = self.peek()
        if tok is None:
            self.fail("expression ends early", len(self.text))
        self.index += 1
        kind, value, result, column = tok
        if kind == "op" and value == "!":
            inner = self.parse_unary()
            return lambda o: not inner(o)
        if kind == "op" and value == "(":
            inner = self.parse_or()
            closing = self.peek()
            if closing is None or closing[:2] != ("op", ")"):
                self.fail("missing ')'", len(self.text) if closing is None else closing[3])
            self.index += 1
            return inner
        if kind == "op":
            self.fail(f"unexpected {value!r}", column)
        return self.operand(value, result, column)

    def operand(self, task: str, result: str | None, column: int) -> _Eval:
        self.tasks.add(task)
        if result is None:
            results = ["Succeeded", "Skipped", "Daemoned", *sorted(self.continue_on.get(task, ()))]
            tests = [_result_test(task, r) for r in results]
            return lambda o: any(t(o) for t in tests)
        if result not in TASK_RESULTS:
            self.fail(
                f"task result {result!r} for task {task!r} is invalid "
                f"(Argo accepts {', '.join(TASK_RESULTS)})",
                column,
            )
        return _result_test(task, result)


def parse_depends(
    text: str, where: str, continue_on: Mapping[str, frozenset[str]] | None = None
) -> DependsExpr:
    """Parse ``depends``; ``continue_on`` maps a task to the extra results a bare name accepts."""
    parser = _Parser(text, where, continue_on or {})
    test = parser.parse()
    return DependsExpr(source=text, tasks=frozenset(parser.tasks), _test=test)


def from_dependencies(
    names: Iterable[str], where: str, continue_on: Mapping[str, frozenset[str]] | None = None
) -> DependsExpr | None:
    """``dependencies: [A, B]`` is ``depends: "A && B"``; ``None`` when there are none."""
    names = list(names)
    for name in names:
        if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9_][-A-Za-z0-9_]*", name):
            raise ManifestError(f"{where}: invalid entry {name!r} in dependencies")
    if not names:
        return None
    return parse_depends(" && ".join(names), where, continue_on)
