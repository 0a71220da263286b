"""DAG structure: ``depends`` expressions, dependency edges, cycles and ancestry.

Argo accepts either ``dependencies: [a, b]`` or a boolean ``depends`` expression such as
``extract && (validate.Succeeded || validate.Skipped)``; task results are the ones Argo's
``common.ValidateTaskResults`` allows.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

TASK_RESULTS = frozenset(
    {
        "Succeeded",
        "Failed",
        "Errored",
        "Skipped",
        "Omitted",
        "Daemoned",
        "AnySucceeded",
        "AllFailed",
    }
)
#: Results that only make sense on a dependency that fans out (withItems/withParam/withSequence).
ITEM_RESULTS = frozenset({"AnySucceeded", "AllFailed"})

_TOKEN = re.compile(r"\s*(?:(&&|\|\||!|\(|\))|([A-Za-z0-9][-A-Za-z0-9]*)(?:\.([A-Za-z]+))?)")


@dataclass(frozen=True, slots=True)
class Dependency:
    """One edge: the task depended upon, the result it is tested for, and where it is written."""

    task: str
    result: str | None
    path: str


class DependsSyntaxError(ValueError):
    """A ``depends`` expression that Argo could not evaluate."""


def parse_depends(expression: str) -> list[tuple[str, str | None]]:
    """Task names (with their ``.Result`` if any) in a ``depends`` expression, in order.

    Raises :class:`DependsSyntaxError` for unbalanced parentheses, dangling operators, or text
    that is neither a task name nor an operator.
    """
    tokens: list[tuple[str, str | None]] = []
    position = 0
    text = expression.rstrip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise DependsSyntaxError(f"unexpected text {text[position:].strip()[:20]!r}")
        operator, name, result = match.groups()
        tokens.append((operator, None) if operator else (f"={name}", result))
        position = match.end()
    parser = _Parser(tokens)
    parser.expression()
    if parser.index != len(tokens):
        raise DependsSyntaxError(f"unexpected {parser.peek()!r}")
    return [(token[1:], result) for token, result in tokens if token.startswith("=")]


class _Parser:
    """Recursive descent: ``expr := term (('&&'|'||') term)*``,
    ``term := '!' term | '(' expr ')' | name``."""

    def __init__(self, tokens: list[tuple[str, str | None]]) -> None:
        self.tokens = tokens
        self.index = 0

    def peek(self) -> str:
        if self.index >= len(self.tokens):
            return "end of expression"
        token = self.tokens[self.index][0]
        return token[1:] if token.startswith("=") else token

    def expression(self) -> None:
        self.term()
        while self.index < len(self.tokens) and self.tokens[self.index][0] in ("&&", "||"):
            self.index += 1
            self.term()

    def term(self) -> None:
        if self.index >= len(self.tokens):
            raise DependsSyntaxError("expression ends where a task name was expected")
        symbol = self.tokens[self.index][0]
        self.index += 1
        if symbol == "!":
            self.term()
        elif symbol == "(":
            self.expression()
            if self.peek() != ")":
                raise DependsSyntaxError(f"missing ')' before {self.peek()!r}")
            self.index += 1
        elif not symbol.startswith("="):
            raise DependsSyntaxError(f"expected a task name, got {symbol!r}")


def find_cycles(edges: Mapping[str, list[Dependency]], order: list[str]) -> list[list[str]]:
    """Every distinct dependency cycle, each as ``[a, b, ..., a]`` (a depends on b ...).

    Tasks are visited in ``order`` so the report is deterministic; a cycle is reported once
    whichever of its tasks the search entered it from.
    """
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    seen: set[frozenset[str]] = set()
    cycles: list[list[str]] = []
    for start in order:
        if state.get(start):
            continue
        stack: list[tuple[str, int]] = [(start, 0)]
        path: list[str] = [start]
        state[start] = 1
        while stack:
            node, index = stack[-1]
            deps = [d.task for d in edges.get(node, []) if d.task in edges]
            if index >= len(deps):
                stack.pop()
                path.pop()
                state[node] = 2
                continue
            stack[-1] = (node, index + 1)
            nxt = deps[index]
            if state.get(nxt) == 1:
                cycle = [*path[path.index(nxt) :], nxt]
                if frozenset(cycle) not in seen:
                    seen.add(frozenset(cycle))
                    cycles.append(cycle)
            elif not state.get(nxt):
                state[nxt] = 1
                stack.append((nxt, 0))
                path.append(nxt)
    return cycles


def ancestors(edges: Mapping[str, list[Dependency]]) -> dict[str, set[str]]:
    """For each task, every task it depends on directly or transitively (cycle-safe)."""
    result: dict[str, set[str]] = {}
    for task in edges:
        seen: set[str] = set()
        todo = [d.task for d in edges[task]]
        while todo:
            current = todo.pop()
            if current in seen or current not in edges:
                continue
            seen.add(current)
            todo.extend(d.task for d in edges[current])
        seen.discard(task)
        result[task] = seen
    return result
