"""Block Kit validation by Slack's own SDK (``slack_sdk.models.blocks``): a webhook body is
parsed into the SDK's block models and serialised back; ``to_dict`` runs the SDK's validators
(text lengths, field and element counts, required fields), an unknown block type parses to
nothing, and an unknown field is dropped (so the round trip must give the body back). One rule
the SDK does not enforce is added: a header's text must be plain_text."""

from __future__ import annotations

from typing import Any


def block_kit_problems(message: Any) -> list[str]:
    """Every way ``message`` (a webhook body) breaks Block Kit per slack_sdk; [] when valid."""
    from slack_sdk.errors import SlackObjectFormationError
    from slack_sdk.models.blocks import Block

    if not isinstance(message, dict):
        return [f"message: expected an object, got {type(message).__name__}"]
    problems: list[str] = []
    text = message.get("text")
    if not isinstance(text, str) or not text.strip():
        problems.append("text: a non-empty plain-text fallback is required with blocks")
    blocks = message.get("blocks")
    if not isinstance(blocks, list) or not 1 <= len(blocks) <= 50:
        return [*problems, "blocks: expected 1..50 blocks"]
    for i, raw in enumerate(blocks):
        try:
            (parsed,) = Block.parse_all([raw])
            if parsed is None:
                problems.append(f"blocks[{i}]: unsupported block type {raw.get('type')!r}")
                continue
            if raw.get("type") == "header" and raw.get("text", {}).get("type") != "plain_text":
                # slack_sdk's HeaderBlock accepts any text object; Block Kit takes plain_text only.
                problems.append(f"blocks[{i}].text: a header takes a plain_text object")
            if parsed.to_dict() != raw:
                problems.append(f"blocks[{i}]: fields the SDK does not know or accept: {raw}")
        except (SlackObjectFormationError, KeyError, TypeError, AttributeError) as exc:
            problems.append(f"blocks[{i}]: {exc}")
    return problems
