"""The outcome of one attempt to send a message through a provider (SMS or WeChat customer-service message)."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class SendResult:
    """What a provider said to one send.

    ``ok`` is True only when the provider accepted the message; anything else
    (HTTP error, provider error code, timeout, unreadable answer) is
    ``ok=False`` and must never be recorded as sent.

    Attributes:
        ok: The provider accepted the message.
        provider_message_id: Its id for the message (Tencent ``SerialNo``, Alibaba ``BizId``, …), when accepted.
        error_code: The provider's error code, or ours (``timeout``, ``network``, ``http_500``, ``bad_response``).
        retryable: Sending again later may succeed (network trouble, throttling, provider-side failure);
            False when only a person can fix it (bad number, template, credentials, balance, daily limit).
        uncertain: The provider may have accepted it although we saw no answer (a read timeout, a dropped
            connection after the request went out): a retry may deliver a second copy.
        detail: The provider's message, for the log (never shown to customers).
    """

    ok: bool
    provider_message_id: str | None = None
    error_code: str | None = None
    retryable: bool = False
    uncertain: bool = False
    detail: str = ""

    @classmethod
    def sent(cls, provider_message_id: str | None, detail: str = "") -> SendResult:
        """The provider accepted the message."""
        return cls(True, provider_message_id, None, False, False, detail)

    @classmethod
    def failed(cls, error_code: str, *, retryable: bool, uncertain: bool = False, detail: str = "") -> SendResult:
        """The message was not (or not certainly) accepted."""
        return cls(False, None, error_code, retryable, uncertain, detail[:500])


def exception_chain(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and the exceptions it was raised from or during (SDKs wrap the transport's errors)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        inner = getattr(current, "inner_exception", None)
        current = inner if isinstance(inner, BaseException) else (current.__cause__ or current.__context__)


def network_failure(exc: BaseException, detail: str) -> SendResult:
    """A transport failure: retryable; uncertain unless the connection was never made.

    A refused or timed-out *connection* means the request never left; a read
    timeout or a reset after sending may mean the provider got it.
    """
    import requests

    names = {type(e).__name__ for e in exception_chain(exc)}
    never_sent = any(isinstance(e, requests.exceptions.ConnectTimeout) for e in exception_chain(exc)) or bool(
        names & {"NewConnectionError", "ConnectionRefusedError", "NameResolutionError", "ConnectTimeoutError",
                 "ConnectTimeout"})
    timed_out = any(isinstance(e, TimeoutError | requests.exceptions.Timeout) for e in exception_chain(exc)) or bool(
        names & {"ReadTimeoutError", "ReadTimeout", "TimeoutException"})
    code = "timeout" if timed_out else "network"
    return SendResult.failed(code, retryable=True, uncertain=not never_sent, detail=detail)
