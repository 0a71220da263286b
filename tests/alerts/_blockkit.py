"""A Block Kit checker written from Slack's documented limits (Block Kit reference pages).

Covers the blocks Glassbox sends (header, section, context, divider) strictly and rejects any
other block type, so a message that passes here renders in Slack.
"""

from __future__ import annotations

from typing import Any

MAX_BLOCKS = 50  # per message
BLOCK_ID_MAX = 255
TEXT_OBJECT_MAX = 3000  # text object: 1..3000 characters
HEADER_TEXT_MAX = 150  # header: plain_text only, max 150 characters
SECTION_TEXT_MAX = 3000
SECTION_FIELDS_MAX = 10  # section fields: max 10 items ...
SECTION_FIELD_TEXT_MAX = 2000  # ... each at most 2000 characters
CONTEXT_ELEMENTS_MAX = 10
TEXT_TYPES = {"plain_text", "mrkdwn"}


def _text_object(obj: Any, where: str, limit: int, problems: list[str]) -> None:
    if not isinstance(obj, dict):
        problems.append(f"{where}: expected a text object, got {type(obj).__name__}")
        return
    kind = obj.get("type")
    if kind not in TEXT_TYPES:
        problems.append(f"{where}.type: expected plain_text or mrkdwn, got {kind!r}")
    allowed = {"type", "text", "emoji"} if kind == "plain_text" else {"type", "text", "verbatim"}
    if extra := set(obj) - allowed:
        problems.append(f"{where}: fields not allowed on {kind}: {sorted(extra)}")
    text = obj.get("text")
    if not isinstance(text, str) or not 1 <= len(text) <= min(limit, TEXT_OBJECT_MAX):
        size = len(text) if isinstance(text, str) else type(text).__name__
        problems.append(
            f"{where}.text: expected 1..{min(limit, TEXT_OBJECT_MAX)} chars, got {size}"
        )
    for flag in ("emoji", "verbatim"):
        if flag in obj and not isinstance(obj[flag], bool):
            problems.append(f"{where}.{flag}: expected a boolean")


def _header(block: dict[str, Any], where: str, problems: list[str]) -> None:
    text = block.get("text")
    if not isinstance(text, dict) or text.get("type") != "plain_text":
        problems.append(f"{where}.text: a header takes a plain_text object")
    _text_object(text, f"{where}.text", HEADER_TEXT_MAX, problems)
    if extra := set(block) - {"type", "text", "block_id"}:
        problems.append(f"{where}: unknown header fields {sorted(extra)}")


def _section(block: dict[str, Any], where: str, problems: list[str]) -> None:
    if "text" not in block and "fields" not in block:
        problems.append(f"{where}: a section needs text or fields")
    if "text" in block:
        _text_object(block["text"], f"{where}.text", SECTION_TEXT_MAX, problems)
    if "fields" in block:
        fields = block["fields"]
        if not isinstance(fields, list) or not 1 <= len(fields) <= SECTION_FIELDS_MAX:
            problems.append(f"{where}.fields: expected 1..{SECTION_FIELDS_MAX} text objects")
        else:
            for i, item in enumerate(fields):
                _text_object(item, f"{where}.fields[{i}]", SECTION_FIELD_TEXT_MAX, problems)
    if extra := set(block) - {"type", "text", "fields", "block_id", "accessory", "expand"}:
        problems.append(f"{where}: unknown section fields {sorted(extra)}")


def _context(block: dict[str, Any], where: str, problems: list[str]) -> None:
    elements = block.get("elements")
    if not isinstance(elements, list) or not 1 <= len(elements) <= CONTEXT_ELEMENTS_MAX:
        problems.append(f"{where}.elements: expected 1..{CONTEXT_ELEMENTS_MAX} elements")
        return
    for i, element in enumerate(elements):
        if isinstance(element, dict) and element.get("type") == "image":
            if not {"image_url", "alt_text"} <= set(element):
                problems.append(f"{where}.elements[{i}]: image needs image_url and alt_text")
        else:
            _text_object(element, f"{where}.elements[{i}]", TEXT_OBJECT_MAX, problems)
    if extra := set(block) - {"type", "elements", "block_id"}:
        problems.append(f"{where}: unknown context fields {sorted(extra)}")


_CHECKERS = {"header": _header, "section": _section, "context": _context}


def block_kit_problems(message: Any) -> list[str]:
    """Every way ``message`` (a webhook body) breaks the Block Kit rules; [] when valid."""
    problems: list[str] = []
    if not isinstance(message, dict):
        return [f"message: expected an object, got {type(message).__name__}"]
    text = message.get("text")
    if not isinstance(text, str) or not text.strip():
        problems.append("text: a non-empty plain-text fallback is required with blocks")
    blocks = message.get("blocks")
    if not isinstance(blocks, list) or not 1 <= len(blocks) <= MAX_BLOCKS:
        return [*problems, f"blocks: expected 1..{MAX_BLOCKS} blocks"]
    seen_ids: set[str] = set()
    for i, block in enumerate(blocks):
        where = f"blocks[{i}]"
        if not isinstance(block, dict):
            problems.append(f"{where}: expected an object")
            continue
        block_id = block.get("block_id")
        if block_id is not None:
            if not isinstance(block_id, str) or not 1 <= len(block_id) <= BLOCK_ID_MAX:
                problems.append(f"{where}.block_id: expected 1..{BLOCK_ID_MAX} chars")
            elif block_id in seen_ids:
                problems.append(f"{where}.block_id: duplicate {block_id!r}")
            seen_ids.add(str(block_id))
        kind = block.get("type")
        if kind == "divider":
            if extra := set(block) - {"type", "block_id"}:
                problems.append(f"{where}: unknown divider fields {sorted(extra)}")
        elif kind in _CHECKERS:
            _CHECKERS[kind](block, where, problems)
        else:
            problems.append(f"{where}.type: unsupported block type {kind!r}")
    return problems
