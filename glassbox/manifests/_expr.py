"""Does an Argo Rollouts condition compile? A Python port of expr-lang's lexer and parser.

Argo Rollouts evaluates ``successCondition`` / ``failureCondition`` with expr-lang
(the Go module expr-lang/expr, v1.17 in Rollouts v1.9): ``expr.Compile(condition,
expr.Env(env))`` with ``env = {result, asInt, asFloat, isNaN, isInf, isNil, default}``. This
module follows expr's ``parser/lexer`` states and ``parser/parser.go`` (operator table and
precedences of ``parser/operator``, predicates with ``{...}`` closures and ``#`` pointers,
member access and slices, ``?.``, ``??``, ternaries, ``if/else``, ``let``, pipes, arrays, maps),
then resolves every free name against that environment and expr's builtins, as expr's checker
does first.

What it cannot do, honestly: expr's type checker. ``result`` is ``any`` in Argo's environment,
so expr itself accepts nearly every operation on it; errors that only types reveal (``"a" - 1``
between literals, a builtin given the wrong argument types) are not reported here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

ARGO_ENV = frozenset({"result", "asInt", "asFloat", "isNaN", "isInf", "isNil", "default"})
PREDICATES = {
    "all": 2,
    "none": 2,
    "any": 2,
    "one": 2,
    "filter": 2,
    "map": 2,
    "count": 1,
    "sum": 1,
    "find": 2,
    "findIndex": 2,
    "findLast": 2,
    "findLastIndex": 2,
    "groupBy": 2,
    "sortBy": 2,
    "reduce": 2,
}  # fmt: skip  (name -> required arguments; count/sum/sortBy/reduce take one more optionally)
_MAX_ARGS = {"count": 2, "sum": 2, "sortBy": 3, "reduce": 3}
BUILTINS = frozenset(
    (
        "len", "type", "abs", "ceil", "floor", "round", "int", "float", "string", "trim",
        "trimPrefix", "trimSuffix", "upper", "lower", "split", "splitAfter", "replace", "repeat",
        "join", "indexOf", "lastIndexOf", "hasPrefix", "hasSuffix", "max", "min", "mean",
        "median", "toJSON", "fromJSON", "now", "duration", "date", "timezone", "first", "last",
        "get", "take", "keys", "values", "toPairs", "fromPairs", "reverse", "uniq", "concat",
        "flatten", "sort", "bitnot", "bitand", "bitor", "bitxor", "bitnand", "bitshl", "bitshr",
        "bitushr", "toBase64", "fromBase64",
    )
)  # fmt: skip
UNARY = {"not": 50, "!": 50, "-": 90, "+": 90}
BINARY: dict[str, tuple[int, bool]] = {  # operator -> (precedence, right associative)
    "|": (0, False), "or": (10, False), "||": (10, False), "and": (15, False),
    "&&": (15, False), "==": (20, False), "!=": (20, False), "<": (20, False), ">": (20, False),
    ">=": (20, False), "<=": (20, False), "in": (20, False), "matches": (20, False),
    "contains": (20, False), "startsWith": (20, False), "endsWith": (20, False),
    "..": (25, False), "+": (30, False), "-": (30, False), "*": (60, False), "/": (60, False),
    "%": (60, False), "**": (100, True), "^": (100, True), "??": (500, False),
}  # fmt: skip
_COMPARISONS = {"<", ">", ">=", "<="}
_NEGATABLE = {"contains", "matches", "startsWith", "endsWith", "in"}
_WORD_OPERATORS = {"in", "or", "and", "matches", "contains", "startsWith", "endsWith", "let",
                   "if", "else"}  # fmt: skip
_NUMBER = re.compile(
    r"0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|"
    r"(?:[0-9][0-9_]*(?:\.(?!\.)[0-9_]*)?|\.[0-9][0-9_]*)(?:[eE][+-]?[0-9_]+)?"
)


class ExprError(ValueError):
    """The condition does not compile; the message says where (column) and why."""


@dataclass(frozen=True)
class Token:
    kind: str  # Identifier, Number, String, Operator, Bracket, EOF
    value: str
    column: int

    def is_(self, kind: str, *values: str) -> bool:
        return self.kind == kind and (not values or self.value in values)

    def __str__(self) -> str:
        return "EOF" if self.kind == "EOF" else f"{self.kind}({self.value!r})"


def tokenize(source: str) -> list[Token]:
    tokens: list[Token] = []
    i, n = 0, len(source)
    while i < n:
        ch = source[i]
        if ch.isspace():
            i += 1
        elif source.startswith("//", i):
            end = source.find("\n", i)
            i = n if end < 0 else end
        elif source.startswith("/*", i):
            end = source.find("*/", i + 2)
            if end < 0:
                raise ExprError(f"unclosed comment (column {i + 1})")
            i = end + 2
        elif ch in "'\"`":
            i = _string(source, i, tokens)
        elif ch.isdigit() or (ch == "." and i + 1 < n and source[i + 1].isdigit()):
            match = _NUMBER.match(source, i)
            assert match is not None
            end = match.end()
            if end < n and (source[end].isalnum() or source[end] == "_"):
                raise ExprError(f"bad number syntax: {source[i : end + 1]!r} (column {i + 1})")
            tokens.append(Token("Number", match.group(), i + 1))
            i = end
        elif ch.isalpha() or ch in "_$":
            end = i
            while end < n and (source[end].isalnum() or source[end] in "_$"):
                end += 1
            word = source[i:end]
            kind = "Operator" if word in _WORD_OPERATORS or word == "not" else "Identifier"
            tokens.append(Token(kind, word, i + 1))
            i = end
        else:
            i = _symbol(source, i, tokens)
    tokens.append(Token("EOF", "", n + 1))
    return tokens


def _string(source: str, start: int, tokens: list[Token]) -> int:
    quote, i = source[start], start + 1
    while i < len(source):
        if source[i] == "\\" and quote != "`":
            i += 2
            continue
        if source[i] == quote:
            tokens.append(Token("String", source[start + 1 : i], start + 1))
            return i + 1
        if source[i] == "\n" and quote != "`":
            break
        i += 1
    raise ExprError(f"literal not terminated (column {start + 1})")


def _symbol(source: str, i: int, tokens: list[Token]) -> int:
    ch = source[i]
    if ch in "([{)]}":
        tokens.append(Token("Bracket", ch, i + 1))
        return i + 1
    for op in ("?.", "??", "..", "**", "&&", "||", "==", "!=", "<=", ">=", "::"):
        if source.startswith(op, i):
            tokens.append(Token("Operator", op, i + 1))
            return i + len(op)
    if ch in ",;%+-^*/<>!=?:.|#&":
        tokens.append(Token("Operator", ch, i + 1))
        return i + 1
    raise ExprError(f"unrecognized character: {ch!r} (column {i + 1})")


@dataclass
class _Parser:
    tokens: list[Token]
    pos: int = 0
    depth: int = 0  # inside a predicate: '#' and '.field' are allowed
    names: list[tuple[str, int, frozenset[str]]] = field(default_factory=list)
    scope: frozenset[str] = frozenset()

    @property
    def current(self) -> Token:
        return self.tokens[self.pos]

    def next(self) -> None:
        self.pos = min(self.pos + 1, len(self.tokens) - 1)

    def error(self, message: str, token: Token | None = None) -> ExprError:
        where = token or self.current
        return ExprError(f"{message} (column {where.column})")

    def expect(self, kind: str, *values: str) -> Token:
        token = self.current
        if not token.is_(kind, *values):
            wanted = " or ".join(repr(v) for v in values) if values else kind
            raise self.error(f"unexpected token {token}, expected {wanted}")
        self.next()
        return token

    # -- grammar -------------------------------------------------------------------------------

    def sequence(self) -> None:
        self.expression(0)
        while self.current.is_("Operator", ";"):
            self.next()
            if self.current.kind == "EOF":
                break
            self.expression(0)

    def expression(self, precedence: int) -> None:
        if precedence == 0 and self.current.is_("Operator", "let"):
            self.let()
            return
        if precedence == 0 and self.current.is_("Operator", "if"):
            self.conditional_if()
            return
        self.primary()
        previous = ""
        while self.current.kind == "Operator":
            token = self.current
            if token.value == "not":
                follower = self.tokens[self.pos + 1]
                if follower.value not in _NEGATABLE:
                    raise self.error(f"unexpected token {follower}", follower)
                if BINARY[follower.value][0] < precedence:
                    break
                self.next()
                token = self.current
            spec = BINARY.get(token.value)
            if spec is None or spec[0] < precedence:
                break
            if previous == "??" and token.value != "??":
                raise self.error(
                    f"Operator ({token.value}) and coalesce expressions (??) cannot be mixed. "
                    "Wrap either by parentheses.",
                    token,
                )
            self.next()
            if token.value == "|":
                self.call(self.expect("Identifier"), piped=True)
            elif token.value in _COMPARISONS:
                self.comparison(spec[0])
            else:
                self.expression(spec[0] if spec[1] else spec[0] + 1)
            previous = token.value
        if precedence == 0:
            self.ternary()

    def comparison(self, precedence: int) -> None:
        self.expression(precedence + 1)
        while self.current.kind == "Operator" and self.current.value in _COMPARISONS:
            self.next()
            self.expression(precedence + 1)

    def let(self) -> None:
        self.expect("Operator", "let")
        name = self.expect("Identifier").value
        self.expect("Operator", "=")
        self.expression(0)
        self.expect("Operator", ";")
        outer, self.scope = self.scope, self.scope | {name}
        self.sequence()
        self.scope = outer

    def conditional_if(self) -> None:
        self.next()
        self.expression(0)
        self.expect("Bracket", "{")
        self.sequence()
        self.expect("Bracket", "}")
        self.expect("Operator", "else")
        if self.current.is_("Operator", "if"):
            self.conditional_if()
            return
        self.expect("Bracket", "{")
        self.sequence()
        self.expect("Bracket", "}")

    def ternary(self) -> None:
        while self.current.is_("Operator", "?"):
            self.next()
            if self.current.is_("Operator", ":"):
                self.next()
                self.expression(0)
                continue
            self.expression(0)
            self.expect("Operator", ":")
            self.expression(0)

    def primary(self) -> None:
        token = self.current
        if token.kind == "Operator" and token.value in UNARY:
            self.next()
            self.expression(UNARY[token.value])
            self.postfix()
            return
        if token.is_("Bracket", "("):
            self.next()
            self.sequence()
            self.expect("Bracket", ")")
            self.postfix()
            return
        if self.depth > 0 and token.is_("Operator", "#", "."):
            self.next()
            if token.value == "#" and self.current.kind == "Identifier":
                self.next()
            elif token.value == ".":
                self.expect("Identifier")
            self.postfix()
            return
        self.secondary()

    def secondary(self) -> None:
        token = self.current
        if token.kind == "Identifier":
            self.next()
            if token.value in ("true", "false", "nil"):
                return
            if self.current.is_("Bracket", "("):
                self.call(token)
            else:
                self.names.append((token.value, token.column, self.scope))
        elif token.kind in ("Number", "String"):
            self.next()
        elif token.is_("Bracket", "["):
            self.array()
        elif token.is_("Bracket", "{"):
            self.mapping()
        else:
            raise self.error(f"unexpected token {token}")
        self.postfix()

    def call(self, name: Token, *, piped: bool = False) -> None:
        if name.value in PREDICATES:
            self.predicate_call(name, piped=piped)
            return
        if name.value not in BUILTINS:
            self.names.append((name.value, name.column, self.scope))
        self.arguments()

    def predicate_call(self, name: Token, *, piped: bool) -> None:
        self.expect("Bracket", "(")
        given = 1 if piped else 0
        required, most = PREDICATES[name.value], _MAX_ARGS.get(name.value, PREDICATES[name.value])
        while not self.current.is_("Bracket", ")"):
            if given > (1 if piped else 0):
                self.expect("Operator", ",")
                if self.current.is_("Bracket", ")"):
                    break
            if given >= most:
                raise self.error(f"too many arguments to {name.value}")
            if given == 0:
                self.expression(0)
            else:
                self.predicate()
            given += 1
        if given < required:
            raise self.error(f"expected at least {required} arguments to {name.value}", name)
        self.expect("Bracket", ")")

    def predicate(self) -> None:
        braces = self.current.is_("Bracket", "{")
        if braces:
            self.next()
        self.depth += 1
        if braces:
            self.sequence()
        else:
            self.expression(0)
        self.depth -= 1
        if braces:
            self.expect("Bracket", "}")

    def arguments(self) -> None:
        self.expect("Bracket", "(")
        first = True
        while not self.current.is_("Bracket", ")"):
            if not first:
                self.expect("Operator", ",")
                if self.current.is_("Bracket", ")"):
                    break
            self.expression(0)
            first = False
        self.expect("Bracket", ")")

    def array(self) -> None:
        self.expect("Bracket", "[")
        first = True
        while not self.current.is_("Bracket", "]"):
            if not first:
                self.expect("Operator", ",")
                if self.current.is_("Bracket", "]"):
                    break
            self.expression(0)
            first = False
        self.expect("Bracket", "]")

    def mapping(self) -> None:
        self.expect("Bracket", "{")
        first = True
        while not self.current.is_("Bracket", "}"):
            if not first:
                self.expect("Operator", ",")
                if self.current.is_("Bracket", "}"):
                    break
            if self.current.kind in ("Number", "String", "Identifier"):
                self.next()
            elif self.current.is_("Bracket", "("):
                self.expression(0)
            else:
                raise self.error(
                    "a map key must be a quoted string, a number, a identifier, or an expression "
                    f"enclosed in parentheses (unexpected token {self.current})"
                )
            self.expect("Operator", ":")
            self.expression(0)
            first = False
        self.expect("Bracket", "}")

    def postfix(self) -> None:
        while True:
            token = self.current
            if token.is_("Operator", ".", "?."):
                self.next()
                if token.value == "?." and self.current.is_("Bracket", "["):
                    self.index()
                    continue
                name = self.current
                if name.kind != "Identifier" and not (
                    name.kind == "Operator" and name.value.isidentifier()
                ):
                    raise self.error("expected name")
                self.next()
                if self.current.is_("Bracket", "("):
                    self.arguments()
            elif token.is_("Bracket", "["):
                self.index()
            else:
                return

    def index(self) -> None:
        self.expect("Bracket", "[")
        if self.current.is_("Operator", ":"):
            self.next()
            if not self.current.is_("Bracket", "]"):
                self.expression(0)
        else:
            self.expression(0)
            if self.current.is_("Operator", ":"):
                self.next()
                if not self.current.is_("Bracket", "]"):
                    self.expression(0)
        self.expect("Bracket", "]")


def check_condition(condition: str, env: frozenset[str] = ARGO_ENV) -> None:
    """Raise ``ExprError`` when ``condition`` would not compile in Argo Rollouts."""
    if not condition.strip():
        raise ExprError("empty expression")
    parser = _Parser(tokenize(condition))
    parser.sequence()
    if parser.current.kind != "EOF":
        raise parser.error(f"unexpected token {parser.current}")
    for name, column, scope in parser.names:
        if name not in env and name not in BUILTINS and name not in scope:
            known = ", ".join(sorted(env))
            raise ExprError(f"unknown name {name} (column {column}; known: {known})")
