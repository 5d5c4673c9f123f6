"""Replay the scripted customer conversations of ``conversations.yml`` through the real stack.

One stack per backend (SQLite and PostgreSQL, the ``live`` fixture) serves
every conversation; each conversation is its own call and survey, so they do
not interfere. What is checked is what was *stored*: the counted rating, the
survey's status, the current reason's cause, attribution, source and review
mark, the complaint flag, and (when the conversation says so) whether a new
call for the same channel id is refused as opted out.
"""
from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from ruamel.yaml import YAML
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.db.models import Flag, Survey
from bot.ledger import counting

pytestmark = pytest.mark.e2e

CONVERSATIONS = YAML(typ="safe").load((Path(__file__).parent / "conversations.yml").read_text(encoding="utf-8"))
RELOAD = "@reload"


def _matches(expected, actual) -> bool:
    if expected == "any":
        return True
    if isinstance(expected, list):
        return actual in expected
    return expected == actual


def _stored(live, token: str) -> dict:
    with Session(live.engine) as s:
        survey = s.scalar(select(Survey).where(Survey.token == token))
        rating = counting.counted_rating(s, survey.id)
        reason = counting.current_reason(s, rating.id) if rating is not None else None
        flagged = s.scalar(select(Flag.id).where(Flag.survey_id == survey.id, Flag.kind == "complaint").limit(1))
        return {
            "score": rating.score if rating else None,
            "status": survey.status,
            "cause": reason.cause if reason else None,
            "attribution": reason.attribution if reason else None,
            "source": reason.source if reason else None,
            "review": reason.needs_review if reason else None,
            "complaint": flagged is not None,
        }


def stored_differences(live, token: str, expect: dict) -> dict:
    """What was stored for the survey and differs from the conversation's ``expect``: ``{field: (wanted, stored)}``."""
    stored = _stored(live, token)
    has_reason = stored["cause"] is not None
    wanted = {
        "score": expect.get("score"),
        "status": expect["status"],
        "cause": expect.get("cause"),
        "attribution": expect.get("attribution"),
        "source": expect.get("source"),
        "review": expect.get("review", False if has_reason else None),
        "complaint": expect.get("complaint", False),
    }
    return {k: (wanted[k], stored[k]) for k in wanted if not _matches(wanted[k], stored[k])}


def _params():
    for conv in CONVERSATIONS:
        marks = ([pytest.mark.xfail(strict=True, reason=f"pending: {conv['pending']} fix")]
                 if conv.get("pending") else [])
        yield pytest.param(conv, id=conv["id"], marks=marks)


@pytest.mark.parametrize("conv", list(_params()))
def test_conversation(live, conv):
    channel = f"wx-{uuid.uuid4().hex[:12]}"
    token = live.new_survey(customer_channel_id=channel)
    replies = [live.start(token)]
    for turn in conv["turns"]:
        replies.append(live.start(token) if turn == RELOAD else live.say(token, turn))
    expect = conv["expect"]
    wrong = stored_differences(live, token, expect)
    transcript = "\n".join(f"  > {t}\n    {r}" for t, r in zip(["(start)", *conv["turns"]], replies, strict=True))
    assert not wrong, f"{conv['id']}: expected/stored {wrong}\n{transcript}"
    if "echo" in expect:
        assert any(expect["echo"] in text for text in replies[-1]), transcript
    if "opted_out" in expect:
        again = live.post_call(customer_channel_id=channel)
        assert again.status_code in (200, 201), again.text
        assert bool(again.json().get("opted_out")) is expect["opted_out"], again.text
        assert (again.json()["chat_url"] is None) is expect["opted_out"], again.text
