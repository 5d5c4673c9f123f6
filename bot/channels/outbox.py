"""Messages to customers on SMS and WeChat: queued as rows, sent by the job runner, never reported sent unless sent.

A message is first an ``outbound_messages`` row (``queued``) written in the
caller's transaction; the job runner's :data:`SEND_SMS` / :data:`SEND_WECHAT`
jobs then send it through the configured provider. The raw number or openid
travels only in the job's arguments (the queue forgets it once the job ran):
tables keep the identity as its keyed hash and masked.

Rules: a number receives at most ``FEEDBACKBOT_SMS_DAILY_CAP`` SMS per
Beijing day (invitations included); a failed send is retried by the job
runner when the provider says it may succeed later, and otherwise recorded
``failed``; a WeChat customer-service message is sent only inside WeChat's
48-hour window, at most 5 per customer message.
"""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from bot.channels.sms_senders import sender_for
from bot.channels.wechat import WechatMessenger, service_window
from bot.clock import as_utc, utcnow
from bot.db.channels import InboundMessage, OutboundMessage
from bot.db.session import open_session
from bot.settings import Settings

BEIJING = ZoneInfo("Asia/Shanghai")
#: Attempts of one send before it is recorded ``failed`` (the job runner retries in between).
SMS_ATTEMPTS = 4
WECHAT_ATTEMPTS = 3


class RetryLater(RuntimeError):  # noqa: N818 - it says what the job runner should do
    """The provider refused for now; the job runner tries again (the message stays ``queued``)."""


def do_queue(s: Session, *, channel: str, provider: str, channel_hash: str, masked: str | None,
             survey_id: int | None, kind: str, text: str, now: datetime) -> int:
    """Add a message to send (status ``queued``); returns its id. Runs in the caller's transaction."""
    return int(s.execute(insert(OutboundMessage).returning(OutboundMessage.id), {
        "channel": channel, "provider": provider, "channel_hash": channel_hash, "channel_masked": masked,
        "survey_id": survey_id, "kind": kind, "text": text, "status": "queued", "attempts": 0, "uncertain": False,
        "created_at": now}).scalar_one())


def _sent_today(s: Session, channel_hash: str, now: datetime) -> int:
    local = now.astimezone(BEIJING)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return int(s.scalar(select(func.count()).select_from(OutboundMessage).where(
        OutboundMessage.channel_hash == channel_hash, OutboundMessage.channel == "sms",
        OutboundMessage.status == "sent", OutboundMessage.sent_at >= midnight)) or 0)


def send_sms(settings: Settings, outbound_id: int, mobile: str) -> str:
    """Send one queued SMS (a job of the runner); returns its final status.

    Raises:
        RetryLater: the provider refused for now and a retry may succeed (the runner retries).
    """
    now = utcnow()
    with open_session(settings.database_url) as s, s.begin():
        row = s.get(OutboundMessage, outbound_id, with_for_update=True)
        if row is None or row.status != "queued":
            return row.status if row is not None else "missing"  # sent or settled by an earlier attempt
        if _sent_today(s, row.channel_hash, now) >= settings.sms_daily_cap:
            row.status = "capped"
            return row.status
        template_id = settings.sms_template_invite_id if row.kind == "invite" else settings.sms_template_reply_id
        params = {} if row.kind == "invite" else {"answer": row.text}
        result = sender_for(settings).send(mobile, template_id, params, sign=settings.sms_sign,
                                           reference=f"out-{row.id}")
        row.attempts += 1
        row.uncertain = row.uncertain or bool(getattr(result, "uncertain", False))
        if result.ok:
            row.status, row.sent_at, row.provider_message_id = "sent", now, result.provider_message_id
            return row.status
        row.last_error = (result.error_code or "error")[:255]
        if not result.retryable or row.attempts >= SMS_ATTEMPTS:
            row.status = "failed"
            return row.status
    raise RetryLater(f"SMS {outbound_id} not accepted yet ({row.last_error}); retrying")


def send_wechat(settings: Settings, outbound_id: int, openid: str) -> str:
    """Send one queued WeChat customer-service message inside the 48-hour window (a job of the runner)."""
    now = utcnow()
    with open_session(settings.database_url) as s, s.begin():
        row = s.get(OutboundMessage, outbound_id, with_for_update=True)
        if row is None or row.status != "queued":
            return row.status if row is not None else "missing"
        last_in = s.scalar(select(func.max(InboundMessage.received_at)).where(
            InboundMessage.channel_hash == row.channel_hash, InboundMessage.channel == "wechat"))
        sent_since = 0 if last_in is None else int(s.scalar(select(func.count()).select_from(OutboundMessage).where(
            OutboundMessage.channel_hash == row.channel_hash, OutboundMessage.channel == "wechat",
            OutboundMessage.status == "sent", OutboundMessage.sent_at >= last_in)) or 0)
        if not service_window(as_utc(last_in) if last_in is not None else None, sent_since, now).open:
            row.status = "window_closed"
            return row.status
        messenger = WechatMessenger(settings.wechat_app_id, settings.wechat_app_secret, settings.wechat_api_base)
        result = messenger.send_text(openid, row.text)
        row.attempts += 1
        if result.ok:
            row.status, row.sent_at = "sent", now
            return row.status
        row.last_error = (result.error_code or "error")[:255]
        if not result.retryable or row.attempts >= WECHAT_ATTEMPTS:
            row.status = "failed"
            return row.status
    raise RetryLater(f"WeChat message {outbound_id} not accepted yet ({row.last_error}); retrying")


