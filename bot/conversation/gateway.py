"""The conversation gateway: everything a channel needs to hand one customer message to the dialogue.

A channel (the web chat today; SMS and WeChat adapters the same way) knows
how to receive a customer's message and how to show the answer; everything
between is here, once:

* find the survey (by its chat token; a channel that knows a phone number or
  an openid resolves it to the token first);
* bound and clean the text (length, control characters), keep a per-survey
  and per-address rate, redact personal data and make the text plain, so
  Rasa's tracker, its store and its event broker never see the raw words and
  the text can never be read as a Rasa command;
* call Rasa (the survey token is the sender id, the message id travels as
  metadata) and apply the failure rules: a turn the action server marked
  failed, or silence where the survey is open, is "resend", never shown as
  processed;
* keep the transcript (customer text redacted), and answer for a survey that
  is over with its one-line notice instead of silence.

Opting out and back in are decided by the dialogue core and written in the
turn's own transaction (``bot.conversation.turns``); the turn's outcome
carries the survey's status back through Rasa (``receipts.status_marker``),
so the gateway never reads the survey again to learn it.
"""
from __future__ import annotations

import logging
import time
import unicodedata
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import httpx
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from bot.clock import utcnow
from bot.conversation import calls, notices, receipts, transcripts, turns
from bot.db.models import Survey
from bot.domain import CLOSED_SURVEY_STATUSES, OPEN_SURVEY_STATUSES, SurveyStatus
from zhtext.clean import clean_text
from zhtext.redact import redact

log = logging.getLogger(__name__)
START_COMMAND = "/start_survey"


class Verdict(StrEnum):
    """How a message went: what a channel maps to its own answer (HTTP status, SMS text, WeChat reply)."""

    OK = "ok"
    NOT_FOUND = "not_found"  # no such survey
    REFUSED = "refused"  # empty or too long: nothing was sent to the dialogue
    TOO_FAST = "too_fast"  # over the per-survey or per-address rate: nothing was sent
    BUSY = "busy"  # Rasa or the database is unreachable
    RESEND = "resend"  # the turn was not processed: the channel keeps the text and sends it again


@dataclass(frozen=True)
class BotLine:
    """One bot message with the buttons it offers (title and payload)."""

    text: str
    buttons: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class Reply:
    """The gateway's answer to one customer message (or to opening the conversation)."""

    verdict: Verdict
    lines: list[BotLine]
    closed: bool = False
    notice: str | None = None
    status: str | None = None  # the survey's status after the turn, when known

    @classmethod
    def say(cls, verdict: Verdict, text: str) -> Reply:
        return cls(verdict, [BotLine(text)])


def _ignorable(ch: str) -> bool:
    """Whitespace, invisible format characters (zero-width space, BOM…) and any slash that folds to ``/``."""
    return ch.isspace() or unicodedata.category(ch) == "Cf" or unicodedata.normalize("NFKC", ch) == "/"


def as_plain_text(message: str) -> str:
    """The customer's message as Rasa must read it: text, never an ``/intent`` command.

    Rasa strips the text and treats a leading ``/`` as an intent (``/restart``
    wipes the dialogue state). Every leading run of whitespace, invisible
    characters and slashes (full-width ones included) is cut, so what remains
    starts with neither; a message of nothing else becomes ``?``.
    """
    start = 0
    while start < len(message) and _ignorable(message[start]):
        start += 1
    return message[start:].rstrip() or "?"


def turn_failed(replies: list[dict[str, Any]], expects_reply: bool) -> bool:
    """Whether Rasa's answer means the customer's message was not processed.

    The action server marks a failed turn (``receipts.TURN_FAILED``, sent with
    ``utter_error``); an unreachable or dead action server gives no answer at
    all, which is a failure too when the survey is open (every message there
    gets one).
    """
    if any(m.get("custom") == receipts.TURN_FAILED for m in replies):
        return True
    return expects_reply and not any(m.get("text") for m in replies)


def notice_for(status: str) -> str | None:
    """The one-line notice of a closed survey (None while it is open)."""
    return notices.CLOSED_NOTICES.get(status) if status in CLOSED_SURVEY_STATUSES else None


def _never_classify(text: str) -> Any:
    raise AssertionError("an opted-out survey's turn classifies nothing")


class RateLimiter:
    """At most ``limit`` events per key within ``window`` seconds (a sliding window, in this process)."""

    def __init__(self, limit: int, window: float, clock: Callable[[], float] = time.monotonic):
        self.limit, self.window, self.clock = limit, window, clock
        self._events: dict[str, deque[float]] = {}

    def allow(self, key: str) -> bool:
        now = self.clock()
        events = self._events.setdefault(key, deque())
        while events and now - events[0] > self.window:
            events.popleft()
        if len(events) >= self.limit:
            return False
        events.append(now)
        if len(self._events) > 100_000:  # bound memory: forget keys idle for a window
            self._events = {k: v for k, v in self._events.items() if v and now - v[-1] <= self.window}
        return True


class Gateway:
    """One customer message in, the bot's answer out; shared by every channel of a process.

    Args:
        rasa: HTTP client on Rasa (base URL ``Settings.rasa_url``); the gateway owns its use.
        sessions: Opens a database session (the caller of the gateway never passes one).
        per_survey: Messages per survey allowed per minute.
        per_address: Messages per client address allowed per minute.
    """

    def __init__(self, rasa: httpx.AsyncClient, sessions: Callable[[], Session], channel_secret: str, *,
                 per_survey: int = 30, per_address: int = 120):
        self.rasa = rasa
        self.sessions = sessions
        self.channel_secret = channel_secret
        self.survey_rate = RateLimiter(per_survey, 60.0)
        self.address_rate = RateLimiter(per_address, 60.0)

    # --- reads ------------------------------------------------------------------------

    def _read(self, fn: Callable[[Session], Any]) -> Any:
        """Run a read in its own short session, retried when the connection drops (it changes nothing)."""
        for attempt in Retrying(retry=retry_if_exception_type(DBAPIError), stop=stop_after_attempt(4),
                                wait=wait_exponential(multiplier=0.05, max=0.5), reraise=True):
            with attempt, self.sessions() as s:
                return fn(s)

    def survey(self, token: str) -> Survey | None:
        """The survey of ``token`` (detached, read only), or None."""
        return self._read(lambda s: calls.survey_by_token(s, token)) if calls.is_token(token) else None

    def history(self, token: str) -> tuple[Survey, list[Any]] | None:
        """The survey and its stored transcript, oldest first; None for an unknown token."""
        def read(s: Session):
            survey = calls.survey_by_token(s, token)
            return None if survey is None else (survey, transcripts.history(s, survey))
        return self._read(read) if calls.is_token(token) else None

    # --- the two things a customer does ------------------------------------------------

    async def open(self, token: str) -> Reply:
        """The customer opened the conversation: greeting and scale (once), or where it stands."""
        try:
            opening = self._read(lambda s: self._opening(s, token)) if calls.is_token(token) else None
        except DBAPIError as exc:
            return self._busy(exc)
        if opening is None:
            return Reply.say(Verdict.NOT_FOUND, notices.SURVEY_NOT_FOUND)
        if isinstance(opening, Reply):
            return opening
        said = await self._rasa(token, START_COMMAND, expects_reply=opening == "open")
        if isinstance(said, Reply):
            return said
        return self._record(token, None, *said)

    async def message(self, token: str, text: str, message_id: str | None = None, *,
                      address: str | None = None) -> Reply:
        """One customer message: bounded, cleaned, redacted, decided by the dialogue, recorded.

        Args:
            token: The survey's token (the channel resolved its own identity to it).
            text: What the customer wrote, as received.
            message_id: The channel's id of this message (resent unchanged on retry), if any.
            address: The client's address, for the per-address rate (the channel decides which it trusts).
        """
        message = clean_text(text or "", multiline=True).strip()
        if not message:
            return Reply.say(Verdict.REFUSED, notices.EMPTY_MESSAGE)
        if len(message) > notices.MAX_MESSAGE_CHARS:
            return Reply.say(Verdict.REFUSED, notices.MESSAGE_TOO_LONG)
        try:
            survey = self.survey(token)
        except DBAPIError as exc:
            return self._busy(exc)
        if survey is None:
            return Reply.say(Verdict.NOT_FOUND, notices.SURVEY_NOT_FOUND)
        if not self.survey_rate.allow(token) or (address is not None and not self.address_rate.allow(address)):
            return Reply.say(Verdict.TOO_FAST, notices.TOO_FAST)
        mid = receipts.clean_message_id(message_id)
        if survey.status == SurveyStatus.OPTED_OUT:
            try:
                lines, status = self._read(lambda s: self._silent_turn(s, token, message, mid))
            except DBAPIError as exc:
                return self._busy(exc)
            return self._record(token, message, lines, status, message_id=mid)
        said = await self._rasa(token, as_plain_text(redact(message)),
                                expects_reply=survey.status in OPEN_SURVEY_STATUSES, message_id=mid)
        if isinstance(said, Reply):
            return said
        return self._record(token, message, *said, message_id=mid)

    # --- the steps ------------------------------------------------------------------

    def _opening(self, s: Session, token: str) -> Reply | str | None:
        """Before the first Rasa turn: the answer for a conversation that already began, else open or closed."""
        survey = calls.survey_by_token(s, token)
        if survey is None:
            return None
        notice = notice_for(survey.status)
        if transcripts.has_history(s, survey):
            # A conversation that already began is never opened again: its last bot turn stands.
            last = [BotLine(m.text, m.buttons or []) for m in transcripts.last_bot_turn(s, survey)]
            return Reply(Verdict.OK, last or ([BotLine(notice)] if notice else []), closed=notice is not None,
                         notice=notice, status=survey.status)
        return "open" if survey.status in OPEN_SURVEY_STATUSES else "closed"

    def _silent_turn(self, s: Session, token: str, message: str, message_id: str | None
                     ) -> tuple[list[BotLine], str | None]:
        """The core's turn for a customer who asked for silence, run here without Rasa (in its own transaction).

        Only an explicit request to receive surveys again changes anything (the
        opt-out list, written in the turn's transaction); nothing else the
        customer writes reaches Rasa's tracker, store or event broker.
        """
        with s.begin():
            outcome = turns.reply_turn(s, token, redact(message), utcnow(), _never_classify, message_id,
                                       channel_secret=self.channel_secret)
        return [BotLine(notices.RESPONSES[name]) for name, _ in outcome.say], outcome.status

    def _busy(self, exc: Exception) -> Reply:
        log.warning("conversation unavailable: %s", exc)
        return Reply.say(Verdict.BUSY, notices.BUSY)

    async def _rasa(self, token: str, text: str, *, expects_reply: bool,
                    message_id: str | None = None) -> Reply | tuple[list[BotLine], str | None]:
        """The bot's lines and the survey's status from Rasa, or the failure answer."""
        body: dict[str, Any] = {"sender": token, "message": text}
        if message_id:
            body["metadata"] = {"message_id": message_id}
        try:
            r = await self.rasa.post("/webhooks/rest/webhook", json=body)
            r.raise_for_status()
            replies = r.json()
            if not isinstance(replies, list):
                raise ValueError("Rasa answered something other than a list of messages")
        except (httpx.HTTPError, ValueError) as exc:
            return self._busy(exc)
        if turn_failed(replies, expects_reply):
            # The markers only: a reply's text may quote what the customer said.
            log.warning("turn of %s not processed (%d replies, markers %s)", token[:6], len(replies),
                        [m.get("custom") for m in replies if m.get("custom")])
            return Reply.say(Verdict.RESEND, notices.RESEND)
        lines = [BotLine(m["text"], m.get("buttons") or []) for m in replies if m.get("text")]
        return lines, receipts.status_of(replies)

    def _record(self, token: str, customer: str | None, lines: list[BotLine], status: str | None,
                message_id: str | None = None) -> Reply:
        """Store the exchange in the transcript and describe the survey's state.

        Retried when the database connection drops; when it stays down the
        answer is still returned (the turn itself was stored by the action
        server), only this exchange is missing from the transcript.
        """
        def write(s: Session) -> str:
            with s.begin():
                survey = calls.survey_by_token(s, token)
                assert survey is not None, "the token was checked before the exchange"
                known = status or survey.status
                notice = notice_for(known)
                shown = lines or ([BotLine(notice)] if notice else [])
                transcripts.append(s, survey, utcnow(), customer=customer,
                                   bot=[(line.text, line.buttons) for line in shown], message_id=message_id,
                                   closed=notice is not None)
                return known
        try:
            known = self._read(write)
        except DBAPIError as exc:
            log.error("transcript of %s not stored: %s", token[:6], exc)
            known = status or SurveyStatus.IN_PROGRESS
        notice = notice_for(known)
        shown = lines or ([BotLine(notice)] if notice else [])  # never leave the customer without an answer
        return Reply(Verdict.OK, shown, closed=notice is not None, notice=notice, status=known)
