"""The bot's answer for a text-only channel: one plain text from the turn's messages, buttons as numbered options.

Neither an SMS nor a WeChat text message (passive reply or customer-service
message) can carry buttons, and both are billed or limited per message, so a
turn's messages — Rasa-style ``{"text": …, "buttons": [...]}`` dicts — become
one text: the texts joined, the buttons of a message numbered after its text
(``bot.domain.sms_templates.numbered_options``).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bot.domain.sms_templates import numbered_options


def plain_answer(messages: Sequence[Mapping[str, Any]], *, short_titles: Mapping[str, str] | None = None,
                 separator: str = "") -> str:
    """One text for the turn's bot messages (empty when there is nothing to say).

    Args:
        messages: The bot's messages in order, each with ``text`` and optionally ``buttons``.
        short_titles: Button title → label (default: the SMS short labels).
        separator: Between messages: ``""`` for SMS (every character is billed), ``"\\n"`` for WeChat.
    """
    parts = []
    for message in messages:
        text = str(message.get("text") or "").strip()
        buttons = message.get("buttons") or []
        rendered = numbered_options(text, buttons, short_titles) if buttons else text
        if rendered:
            parts.append(rendered)
    return separator.join(parts)
