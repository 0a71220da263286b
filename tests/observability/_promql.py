"""Metric names referenced by a PromQL expression (or a Grafana variable query), by a small
tokenizer: identifiers that are not functions (followed by ``(``), keywords, label names
(inside ``{...}`` or a ``by/without/on/ignoring/group_*`` list) or Grafana variables."""

from __future__ import annotations

import re

KEYWORDS = frozenset(
    {"by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless",
     "offset", "bool", "inf", "nan", "atan2"}
)  # fmt: skip
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`')
_GRAFANA_VAR = re.compile(r"\$\{[^}]*\}|\$\w+|\[\[\w+\]\]")
_MATCHERS = re.compile(r"\{[^{}]*\}")
_RANGE = re.compile(r"\[[^\]]*\]")
_LABEL_LIST = re.compile(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^()]*\)")
_TOKEN = re.compile(
    r"(?P<duration>\d+(?:ms|[smhdwy])(?:\d+(?:ms|[smhdwy]))*\b)"
    r"|(?P<number>0x[0-9a-fA-F]+|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)"
    r"|(?P<ident>[a-zA-Z_:][a-zA-Z0-9_:]*)"
    r"|(?P<other>\S)"
)
_LABEL_VALUES = re.compile(r"^\s*label_values\(\s*(?:(?P<expr>.+?)\s*,\s*)?\w+\s*\)\s*$", re.S)


def metric_names(expr: str) -> set[str]:
    text = _GRAFANA_VAR.sub("1", expr)
    text = _STRING.sub(" ", text)
    text = _MATCHERS.sub(" ", text)
    text = _RANGE.sub(" ", text)
    text = _LABEL_LIST.sub(r"\1", text)
    tokens = [(m.lastgroup, m.group(), m.end()) for m in _TOKEN.finditer(text)]
    names: set[str] = set()
    for kind, word, end in tokens:
        if kind != "ident" or word in KEYWORDS:
            continue
        if re.match(r"\s*(\(|by\b|without\b)", text[end:]):
            continue  # a function, or an aggregation operator (`sum by (x) (...)`)
        names.add(word)
    return names


def variable_query_names(query: str) -> set[str]:
    """A Grafana Prometheus variable query: ``label_values(<selector>, label)`` or an expr."""
    match = _LABEL_VALUES.match(query)
    if match:
        return metric_names(match.group("expr") or "")
    for prefix in ("query_result(", "metrics("):
        if query.strip().startswith(prefix):
            return metric_names(query.strip()[len(prefix) : -1])
    return metric_names(query)
