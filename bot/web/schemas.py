"""Request and response models of the web API, one family per resource."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from bot.channels.identity import IdentityError, parse_identity

# --- text every request model shares ----------------------------------------------

# How far a caller's clock may run ahead of ours, and the earliest call we believe.
CLOCK_SKEW = timedelta(minutes=5)
EARLIEST_CALL = datetime(2000, 1, 1, tzinfo=UTC)


def refuse_unstorable(v: str) -> str:
    """Refuse NUL and unpaired surrogates: PostgreSQL cannot store NUL, and neither can be encoded as UTF-8."""
    if "\x00" in v:
        raise ValueError("text must not contain NUL characters")
    if any("\ud800" <= ch <= "\udfff" for ch in v):
        raise ValueError("text must not contain unpaired surrogates")
    return v


# What the schema says of every text field: no NUL (a pattern clients and fuzzers can read). Lone
# surrogates are refused too, but cannot be written as a pattern that ECMA-262 engines without the
# ``u`` flag apply correctly to valid astral characters: they are in the description instead.
NO_NUL_PATTERN = "^[^\\u0000]*$"
_STORABLE = Field(json_schema_extra={"pattern": NO_NUL_PATTERN})

SafeText = Annotated[str, AfterValidator(refuse_unstorable), _STORABLE]
"""Any free text from a client: storable and encodable (use for every text field of a request)."""


# Ids from another system: 1..n storable characters, at least one of them not white space; surrounding
# white space is stripped after the checks. The schema states the same rule as a pattern (Python's and
# ECMA-262's ``\\s`` agree on every common space character), and the length bounds apply to the id as sent,
# so that a schema-valid id is never refused and a schema-invalid one never accepted.
ID_PATTERN = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$"


def _stripped_id(v: str) -> str:
    stripped = refuse_unstorable(v).strip()
    if not stripped:
        raise ValueError("id must contain a character that is not white space")
    return stripped


_ID_SCHEMA = Field(json_schema_extra={"pattern": ID_PATTERN})
CallId = Annotated[str, StringConstraints(min_length=1, max_length=128), AfterValidator(_stripped_id), _ID_SCHEMA]
AgentId = Annotated[str, StringConstraints(min_length=1, max_length=64), AfterValidator(_stripped_id), _ID_SCHEMA]


def _datetime_string(v: Any) -> Any:
    # JSON numbers would be read as Unix timestamps: the integration must say what it means.
    if isinstance(v, str | datetime):
        return v
    raise ValueError("ended_at must be an ISO 8601 date-time string, e.g. 2026-11-23T09:00:00+08:00")


class ErrorOut(BaseModel):
    """An error answer (400, 401, 409, 413): what went wrong, in English for the integrating developer."""

    detail: str


BODY_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorOut, "description": "Body is not UTF-8 text (cannot be parsed)"},
    413: {"model": ErrorOut, "description": "Request body larger than 64 KiB"},
}


# --- integration: calls ---------------------------------------------------------


class CallIn(BaseModel):
    """A call that has just ended."""

    call_id: CallId = Field(description="The telephony system's call id (idempotency key)")
    agent_ids: list[AgentId] = Field(
        min_length=1, max_length=20, description="Every agent on the call, in order; the last one is credited")
    ended_at: Annotated[datetime, BeforeValidator(_datetime_string)] = Field(
        description="When the call ended (ISO 8601 with time zone; not in the future, not before 2000)",
        # JSON Schema cannot compare with "now": the bounds the server enforces, machine-readable.
        json_schema_extra={"x-not-before": EARLIEST_CALL.isoformat(),
                           "x-max-seconds-after-now": int(CLOCK_SKEW.total_seconds())})
    channel: Literal["web", "sms", "wechat"] = Field(
        default="web", description="Where the survey goes: web (a chat link the integration sends), sms (we send "
                                   "the invitation to the mobile number) or wechat (the official account's openid)")
    customer_channel_id: CallId | None = Field(
        default=None, description="The customer on that channel: a mainland mobile number for sms, the openid for "
                                  "wechat, any messaging id for web (optional there). Stored only as a keyed hash",
        # JSON Schema cannot tie one field's form to another's value: the rule the server enforces, machine-readable.
        json_schema_extra={"x-identity-by-channel": {"sms": "mainland mobile number", "wechat": "openid"}})
    credited_agent_id: AgentId | None = Field(
        default=None, description="Override of the credited agent; must be one of agent_ids")

    @model_validator(mode="after")
    def _identity_fits_channel(self) -> CallIn:
        if self.channel != "web":
            try:
                self.customer_channel_id = parse_identity(self.channel, self.customer_channel_id).value
            except IdentityError as exc:
                raise ValueError(f"customer_channel_id for channel {self.channel}: {exc}") from exc
        return self

    @field_validator("ended_at")
    @classmethod
    def _aware_and_plausible(cls, v: datetime) -> datetime:
        if v.tzinfo is None:
            raise ValueError("ended_at needs a time zone, e.g. 2026-11-23T09:00:00+08:00")
        if v < EARLIEST_CALL:
            raise ValueError("ended_at is before 2000-01-01")
        if v > datetime.now(UTC) + CLOCK_SKEW:
            raise ValueError("ended_at is in the future")
        return v


class SurveyOut(BaseModel):
    """The survey opened for a call, or (``opted_out``) the answer "do not send" for an opted-out channel."""

    call_id: str
    survey_token: str | None = Field(description="None when the channel opted out")
    chat_url: str | None = Field(description="The link to send; None when the channel opted out: send nothing")
    expires_at: datetime | None = Field(description="None when the channel opted out")
    created: bool = Field(description="False when the call was already registered (idempotent repeat) "
                                      "or no survey was opened because the channel opted out")
    opted_out: bool = Field(default=False, description="True: this customer_channel_id asked for no more "
                                                       "surveys; no survey was opened, do not send anything")


# --- chat -------------------------------------------------------------------------


class ChatIn(BaseModel):
    """One customer message."""

    message: SafeText = Field(default="", max_length=20000)
    message_id: str | None = Field(default=None, max_length=64,
                                   description="Id of this message, resent unchanged on retry (deduplication key)")


class BotMessage(BaseModel):
    """One bot message, with the buttons it offers (title and payload)."""

    text: str | None = None
    buttons: list[dict] = Field(default_factory=list)


class ChatOut(BaseModel):
    """The bot's replies to one customer message."""

    messages: list[BotMessage]
    closed: bool = Field(default=False, description="The survey is over (completed, closed, expired, opted out)")
    notice: str | None = Field(default=None, description="One-line closed notice to show under the conversation")

    @classmethod
    def say(cls, text: str) -> ChatOut:
        """A reply of one plain message."""
        return cls(messages=[BotMessage(text=text)])


class HistoryMessage(BaseModel):
    """One stored message of the conversation."""

    sender: str = Field(description="customer or bot")
    text: str
    buttons: list[dict] = Field(default_factory=list)


class HistoryOut(BaseModel):
    """The conversation so far, for a page opened again."""

    messages: list[HistoryMessage]
    closed: bool
    notice: str | None = None
    accepts_input: bool = Field(description="False once nothing more can be said (an opted-out survey still "
                                            "accepts 重新订阅)")
