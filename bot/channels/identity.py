"""Channel identities: a mainland mobile number or a WeChat openid, validated, hashed for storage, masked for display.

A survey is sent to a *channel identity*; the raw value is needed only to send
(and arrives again with each reply). What is stored to find a customer's
surveys is :func:`identity_hash`, an HMAC-SHA256 under a server secret, so a
leaked table does not list customers' numbers (an unkeyed hash of an 11-digit
number is reversed by brute force in seconds). What staff see is
:func:`masked` (``138****5678``).

Mobile numbers are normalised with ``phonenumbers`` to the 11 national digits
(``+86 138 0013 8000``, ``0086…``, ``86…`` and spaces or dashes are accepted);
only mainland mobile numbers are accepted, because the SMS templates and the
providers' domestic signatures are for mainland numbers only.
"""
from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from enum import StrEnum

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberType

_CN = "CN"
_MOBILE_TYPES = frozenset({PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE})
# "0086" is the international call prefix dialled from China; phonenumbers
# reads "+86" and bare national numbers but not this prefix, so it is rewritten.
_IDD_PREFIX = re.compile(r"^\s*00\s*86")
_SEPARATORS = re.compile(r"[\s\-().]")
# An openid is 28 characters of URL-safe base64 for official accounts
# (e.g. "oAbCdEfGhIjKlMnOpQrStUvWxYz0"); other lengths exist for other app
# types, so the shape is checked loosely: 20–64 URL-safe characters.
_OPENID = re.compile(r"^[A-Za-z0-9_-]{20,64}$")


class Channel(StrEnum):
    """Where a survey is sent and its replies arrive."""

    WEB = "web"
    SMS = "sms"
    WECHAT = "wechat"


class IdentityError(ValueError):
    """A channel identity that cannot be used; ``message_zh`` is shown to staff or integrators."""

    def __init__(self, message: str, message_zh: str) -> None:
        super().__init__(message)
        self.message_zh = message_zh


@dataclass(frozen=True)
class ChannelIdentity:
    """A validated identity on one channel.

    Attributes:
        channel: ``sms`` or ``wechat``.
        value: The normalised identity: 11 national digits for SMS, the openid for WeChat.
    """

    channel: Channel
    value: str

    def hashed(self, secret: str) -> str:
        """The stored form (see :func:`identity_hash`)."""
        return identity_hash(self.channel, self.value, secret)

    def masked(self) -> str:
        """The displayed form (see :func:`masked`)."""
        return masked(self.channel, self.value)


def normalize_mobile(raw: str) -> str:
    """The 11 national digits of a mainland mobile number.

    Args:
        raw: The number as typed or received: ``13800138000``, ``+86 138-0013-8000``, ``0086 13800138000``.

    Raises:
        IdentityError: when it is not a valid mainland mobile number.
    """
    text = _SEPARATORS.sub("", _IDD_PREFIX.sub("+86", raw or ""))
    if not text:
        raise IdentityError("empty mobile number", "手机号码为空")
    try:
        number = phonenumbers.parse(text, _CN)
    except NumberParseException as exc:
        raise IdentityError(f"not a phone number: {exc}", "手机号码格式不正确") from exc
    if number.country_code != 86:
        raise IdentityError("only mainland China (+86) numbers are accepted", "仅支持中国大陆手机号码")
    if not phonenumbers.is_valid_number(number) or phonenumbers.number_type(number) not in _MOBILE_TYPES:
        raise IdentityError("not a valid mainland mobile number", "不是有效的中国大陆手机号码")
    return phonenumbers.national_significant_number(number)


def normalize_openid(raw: str) -> str:
    """An openid with surrounding blanks removed.

    Raises:
        IdentityError: when it does not have an openid's shape.
    """
    text = (raw or "").strip()
    if not _OPENID.match(text):
        raise IdentityError("not a WeChat openid (20-64 URL-safe characters)", "微信 openid 格式不正确")
    return text


_NORMALIZERS = {Channel.SMS: normalize_mobile, Channel.WECHAT: normalize_openid}


def parse_identity(channel: str, raw: str | None) -> ChannelIdentity:
    """Validate ``raw`` as an identity on ``channel`` (``sms`` or ``wechat``).

    Raises:
        IdentityError: for an unknown channel, the web channel (it has no identity to send to) or a malformed value.
    """
    try:
        kind = Channel(channel)
    except ValueError as exc:
        raise IdentityError(f"unknown channel {channel!r}", "未知的渠道") from exc
    normalizer = _NORMALIZERS.get(kind)
    if normalizer is None:
        raise IdentityError(f"channel {kind} has no identity", "该渠道不需要客户标识")
    return ChannelIdentity(kind, normalizer(raw or ""))


def identity_hash(channel: str, value: str, secret: str) -> str:
    """HMAC-SHA256 (hex) of ``channel:value`` under ``secret``: the only stored form of an identity.

    The channel is part of the message so that a number and an openid that
    happened to share characters never collide.
    """
    if not secret:
        raise ValueError("identity_hash needs a non-empty secret")
    return hmac.new(secret.encode(), f"{channel}:{value}".encode(), hashlib.sha256).hexdigest()


def mask_mobile(mobile: str) -> str:
    """``13800138000`` → ``138****8000``; anything shorter than 7 characters is masked whole."""
    return f"{mobile[:3]}****{mobile[-4:]}" if len(mobile) >= 7 else "*" * len(mobile)


def mask_openid(openid: str) -> str:
    """``oAbCdEfGhIjKlMnOpQrStUvWxyz`` → ``oAbC…xyz``."""
    return f"{openid[:4]}…{openid[-3:]}" if len(openid) >= 8 else "*" * len(openid)


_MASKS = {Channel.SMS: mask_mobile, Channel.WECHAT: mask_openid}


def masked(channel: str, value: str) -> str:
    """The identity as staff may see it; the web channel shows nothing."""
    mask = _MASKS.get(Channel(channel))
    return mask(value) if mask else ""
