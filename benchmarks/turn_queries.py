"""SQL statements per survey turn, and a full trace of what each turn stored and said.

Drives the real Rasa custom actions (no Rasa server) over a fixed set of
conversations on a fresh SQLite database, with the promoted classifier and a
fixed clock, and counts the statements each turn sends (SQLAlchemy
``before_cursor_execute``). Prints per-turn counts and their total, and the
median in-process time of a turn (action only, classifier included); with
``--trace FILE`` also writes every turn's responses, dialogue state and the
resulting rows (ratings, reasons, flags, audit rows, survey status), so two
versions of the code can be compared for identical behaviour with ``diff``.

Usage: .venv/bin/python benchmarks/turn_queries.py [--trace out.txt]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import event, select
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

# (name, minutes after the call at which the turns arrive, [(text, intent)])
CONVERSATIONS: list[tuple[str, int, list[tuple[str, str]]]] = [
    ("high", 1, [("5", "give_rating")]),
    ("high with reason", 1, [("5分 很满意，问题当场解决了", "give_rating")]),
    ("low then reason", 1, [("2", "give_rating"), ("客服态度太差了，一直打断我说话", "explain_reason")]),
    ("low with reason", 1, [("2 客服态度太差了，一直打断我", "give_rating")]),
    ("unclear reason, choice words", 1, [("1", "give_rating"), ("不满意", "explain_reason"),
                                         ("网络或系统", "choose_cause")]),
    ("unclear reason, choice number", 1, [("1", "give_rating"), ("不满意", "explain_reason"), ("1", "choose_cause")]),
    ("unclear reason, unclear twice", 1, [("1", "give_rating"), ("不满意", "explain_reason"),
                                          ("嗯", "choose_cause"), ("随便吧", "choose_cause")]),
    ("digit vs words", 1, [("5 态度太差了", "give_rating"), ("1", "give_rating")]),
    ("digit vs words, kept", 1, [("5 态度太差了", "give_rating"), ("嗯", "chitchat"), ("好", "chitchat")]),
    ("score vs reason", 1, [("5分，客服态度恶劣，一直推脱", "give_rating"), ("2", "give_rating")]),
    ("low score vs praise", 1, [("1", "give_rating"), ("非常满意，服务很好", "explain_reason"), ("5", "give_rating")]),
    ("correction during", 1, [("1", "give_rating"), ("刚才按错了，应该是5分", "correct_rating")]),
    ("correction after", 1, [("5", "give_rating"), ("刚才按错了，应该是2分", "correct_rating")]),
    ("correction no score", 1, [("2", "give_rating"), ("我刚才打错了", "correct_rating"), ("4", "give_rating")]),
    ("optout", 1, [("别再发了", "opt_out")]),
    ("optout with score", 1, [("2分，别再发了", "opt_out")]),
    ("late", 24 * 60, [("3", "give_rating")]),
    ("complaint", 1, [("我要投诉你们", "complain"), ("1", "give_rating")]),
    ("question", 1, [("5分是好还是差？", "ask_scale")]),
    ("closed", 1, [("4", "give_rating"), ("谢谢", "chitchat")]),
    ("retries", 1, [("收到", "chitchat"), ("👍", "chitchat")]),
]


def tracker(sender: str, text: str, slots: dict, intent: str):
    from rasa_sdk import Tracker

    return Tracker(sender_id=sender, slots=slots,
                   latest_message={"text": text, "intent": {"name": intent, "confidence": 0.9}, "entities": []},
                   events=[], paused=False, followup_action=None, active_loop={}, latest_action_name="action_listen")


def rows(s: Session, survey_id: int) -> list[str]:
    from bot.db.models import AuditLog, Flag, Rating, Reason, Survey

    survey = s.get(Survey, survey_id)
    assert survey is not None
    out = [f"survey status={survey.status} followup={survey.needs_followup}"]
    for r in s.scalars(select(Rating).where(Rating.survey_id == survey_id).order_by(Rating.id)):
        out.append(f"rating {r.id} score={r.score} status={r.status} supersedes={r.supersedes_id} raw={r.raw_reply!r}")
        for x in s.scalars(select(Reason).where(Reason.rating_id == r.id).order_by(Reason.id)):
            out.append(f"  reason {x.id} {x.cause} {x.attribution} src={x.source} conf={x.confidence} "
                       f"model={x.model_version} ev={x.evidence!r} review={x.needs_review} "
                       f"sup={x.supersedes_id} text={x.text!r}")
    for f in s.scalars(select(Flag).where(Flag.survey_id == survey_id).order_by(Flag.id)):
        out.append(f"flag {f.kind} {f.text!r}")
    for a in s.scalars(select(AuditLog).order_by(AuditLog.id)):
        out.append(f"audit {a.actor} {a.entity} {a.entity_id} {a.action} {json.dumps(a.data, sort_keys=True)}")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trace", type=Path)
    args = ap.parse_args()
    url = f"sqlite:///{tempfile.mkdtemp()}/queries.db"
    os.environ["DATABASE_URL"] = url

    from rasa_sdk.executor import CollectingDispatcher

    from actions import context
    from actions.survey_reply import ActionHandleReply
    from actions.survey_start import ActionStartSurvey
    from bot.conversation import calls
    from bot.db.connection import engine_for
    from bot.db.migrate import upgrade
    from bot.db.models import AuditLog, Survey

    upgrade(url)
    context.settings.cache_clear()
    context.classify("预热")
    engine = engine_for(url)
    count = [0]
    event.listen(engine, "before_cursor_execute", lambda *a, **k: count.__setitem__(0, count[0] + 1))
    trace: list[str] = []
    per_turn: list[int] = []
    times: list[float] = []
    for i, (name, minutes, turns) in enumerate(CONVERSATIONS):
        with Session(engine) as s, s.begin():
            s.query(AuditLog).delete()
            req = calls.CallRequest(call_id=f"q-{i}", agent_ids=["A1"], ended_at=T0)
            survey, _ = calls.register_call(s, req, window_minutes=60, template_version="v1", now=T0)
            token, survey_id = survey.token, survey.id
            s.query(AuditLog).delete()
        trace.append(f"=== {name}")
        steps = [("/start_survey", "start_survey", ActionStartSurvey())]
        steps += [(text, intent, ActionHandleReply()) for text, intent in turns]
        for n, (text, intent, action) in enumerate(steps):
            context.now = lambda n=n, m=minutes: T0 + timedelta(minutes=m if n else 0, seconds=n)  # type: ignore[assignment]
            d = CollectingDispatcher()
            count[0] = 0
            t0 = time.perf_counter()
            events = action.run(d, tracker(token, text, {}, intent), {})
            times.append((time.perf_counter() - t0) * 1000)
            per_turn.append(count[0])
            assert events == [], events  # the state is on the survey row, not in Rasa's slots
            trace.append(f"> {text!r}: {count[0]} statements")
            trace.append(f"  say {[(m['response'], {k: v for k, v in m.items() if k == 'score'}) for m in d.messages]}")
            with Session(engine) as s:
                row = s.get_one(Survey, survey_id)
                # Printed as the slots once were, so traces from before and after compare line by line.
                trace.append(f"  state {dict(stage=row.stage, retries=float(row.retries), pending_reason=row.pending_reason)}")
        with Session(engine) as s:
            trace.extend(rows(s, survey_id))
    turns_n = len(per_turn)
    print(f"turns: {turns_n}   statements: {sum(per_turn)}   per turn: {sum(per_turn) / turns_n:.2f}   "
          f"max: {max(per_turn)}   median turn: {statistics.median(times):.2f} ms")
    if args.trace:
        args.trace.write_text("\n".join(trace) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
