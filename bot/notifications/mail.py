"""Notification e-mail over SMTP (the standard library's ``smtplib`` and ``email``): plain text, UTF-8."""
from __future__ import annotations

import smtplib
import ssl
from collections.abc import Sequence
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from bot.notifications.robots import SendOutcome
from bot.settings import Settings


def build_message(sender: str, to: Sequence[str], subject: str, body: str) -> EmailMessage:
    """One plain-text UTF-8 message."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = ", ".join(to)
    msg["Subject"] = subject
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    msg.set_content(body)
    return msg


def send_mail(settings: Settings, to: Sequence[str], subject: str, body: str) -> SendOutcome:
    """Send one message to ``to`` through ``FEEDBACKBOT_SMTP_*``; accepted only when the server took every recipient.

    ``smtplib`` raises when the server refuses the sender or every recipient;
    a partial refusal comes back as a dict, which we also count as a failure
    (the delivery is retried, and its ``last_error`` names how many were refused).
    """
    msg = build_message(settings.smtp_from, to, subject, body)
    timeout = settings.notify_timeout_seconds
    try:
        smtp: smtplib.SMTP
        if settings.smtp_security == "ssl":
            smtp = smtplib.SMTP_SSL(settings.smtp_host, settings.smtp_port, timeout=timeout,
                                    context=ssl.create_default_context())
        else:
            smtp = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=timeout)
        with smtp:
            if settings.smtp_security == "starttls":
                smtp.starttls(context=ssl.create_default_context())
            if settings.smtp_user:
                smtp.login(settings.smtp_user, settings.smtp_password)
            refused = smtp.send_message(msg)
    except smtplib.SMTPResponseException as exc:
        return SendOutcome(False, f"SMTP {exc.smtp_code}")
    except (smtplib.SMTPException, OSError) as exc:
        return SendOutcome(False, f"SMTP: {type(exc).__name__}")
    if refused:
        return SendOutcome(False, f"SMTP refused {len(refused)} of {len(to)} recipient(s)")
    return SendOutcome(True)
