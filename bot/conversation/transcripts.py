"""The chat transcript of a survey: what the customer and the bot said, in order.

Written by the web proxy after each exchange and read back when the chat page
is opened again, so a reload resumes the conversation instead of greeting anew.
Customer text is redacted before it is stored, like every other stored reply.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from bot.db.chat import ChatMessage
from bot.db.models import Survey
from zhtext.redact import redact

MAX_STORED_CHARS = 2000
#: A closed survey's transcript stops growing at this many messages (a whole conversation takes far fewer).
MAX_CLOSED_TRANSCRIPT = 80


def append(s: Session, survey: Survey, now: datetime, *, customer: str | None = None,
           bot: Iterable[tuple[str, list[dict[str, Any]]]] = (), message_id: str | None = None,
           closed: bool = False) -> bool:
    """Store one exchange: the customer's message (redacted) and the bot's replies with their buttons.

    A customer message whose ``message_id`` is already stored for this survey
    (the page resent it because the first answer never arrived) was stored
    with its answer the first time: nothing is stored again. Once the survey
    is ``closed``, its transcript stops growing at :data:`MAX_CLOSED_TRANSCRIPT`
    messages: a link kept open cannot fill the table.

    Returns:
        Whether the exchange was stored (False for such a resend or past the bound).
    """
    if customer is not None and message_id is not None and s.scalar(select(exists().where(
            ChatMessage.survey_id == survey.id, ChatMessage.message_id == message_id))):
        return False
    if closed and _length(s, survey) >= MAX_CLOSED_TRANSCRIPT:
        return False
    if customer is not None:
        s.add(ChatMessage(survey_id=survey.id, sender="customer", text=redact(customer)[:MAX_STORED_CHARS],
                          buttons=None, created_at=now, message_id=message_id))
    for text, buttons in bot:
        s.add(ChatMessage(survey_id=survey.id, sender="bot", text=text[:MAX_STORED_CHARS],
                          buttons=list(buttons) or None, created_at=now))
    s.flush()
    return True


def history(s: Session, survey: Survey) -> list[ChatMessage]:
    """Every stored message of ``survey``, oldest first."""
    return list(s.scalars(select(ChatMessage).where(ChatMessage.survey_id == survey.id).order_by(ChatMessage.id)))


def has_history(s: Session, survey: Survey) -> bool:
    """True once anything of this survey's chat was stored."""
    return bool(s.scalar(select(exists().where(ChatMessage.survey_id == survey.id))))


def last_bot_turn(s: Session, survey: Survey) -> list[ChatMessage]:
    """The bot's messages since the customer last spoke (what the page should show as the open question)."""
    turn: list[ChatMessage] = []
    for message in reversed(history(s, survey)):
        if message.sender != "bot":
            break
        turn.insert(0, message)
    return turn


def _length(s: Session, survey: Survey) -> int:
    return int(s.scalar(select(func.count()).select_from(ChatMessage).where(ChatMessage.survey_id == survey.id)) or 0)
