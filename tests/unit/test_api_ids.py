"""Ids from another system (call ids, agent ids): the schema a client reads and the server agree.

A fuzzer found ``"\\f"`` accepted by the declared schema (one character, no NUL) and refused by the
server (stripped to nothing). The declared pattern now says "at least one character that is not white
space"; these cases check both sides give the same verdict on the hard kinds of id.
"""
from __future__ import annotations

import re
from typing import Any

import jsonschema_rs
import pytest
from pydantic import ValidationError

from bot.web.schemas import CallIn

ENDED = "2026-01-01T09:00:00+08:00"


def agent_schema() -> dict[str, Any]:
    return CallIn.model_json_schema()["properties"]["agent_ids"]["items"]


def server_accepts(agent_id: str) -> bool:
    try:
        CallIn(call_id="c-1", agent_ids=[agent_id], ended_at=ENDED)
    except ValidationError:
        return False
    return True


@pytest.mark.parametrize(("agent_id", "valid"), [
    ("a007", True),
    ("  a007\t", True),          # surrounding white space: accepted, stripped
    ("张三", True),
    ("\f", False),               # the fuzzer's case: only white space
    ("\u3000\u3000", False),     # ideographic spaces only
    (" \n\t\v\r", False),
    ("", False),
    ("a\x00b", False),           # NUL: PostgreSQL cannot store it
    ("x" * 64, True),
    ("x" * 65, False),
    (" " + "x" * 64, False),     # the bound applies to the id as sent
])
def test_schema_and_server_agree(agent_id: str, valid: bool) -> None:
    validator = jsonschema_rs.validator_for(agent_schema())
    assert validator.is_valid(agent_id) is valid
    assert server_accepts(agent_id) is valid


def test_python_regex_reading_of_the_pattern_agrees() -> None:
    # Hypothesis-based fuzzers read the pattern with Python's ``re``; this is the reading they generate from.
    pattern = re.compile(agent_schema()["pattern"])
    for text in ("\f", "\u2028", " \u00a0 "):
        assert not pattern.search(text) and not server_accepts(text)
    for text in ("\fa", "a\u2028"):
        assert pattern.search(text) and server_accepts(text)


def test_stripped_id_is_what_the_server_keeps() -> None:
    assert CallIn(call_id=" c-9 ", agent_ids=[" a1 ", "a2\n"], ended_at=ENDED).agent_ids == ["a1", "a2"]
