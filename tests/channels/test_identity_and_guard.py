"""Channel identities (normalised, hashed, masked), the callback secret and source allow-list, the channel settings."""
from __future__ import annotations

import hashlib
import hmac

import pytest

from bot.channels.callback_guard import AllowListError, parse_networks, secret_matches, source_allowed
from bot.channels.identity import Channel, IdentityError, identity_hash, masked, normalize_mobile, parse_identity
from bot.settings import Settings, SettingsError


@pytest.mark.parametrize("raw", ["13800138000", "+86 138 0013 8000", "0086 13800138000", "008613800138000",
                                 "+86-138-0013-8000", " 138 0013 8000 ", "8613800138000"])
def test_mobile_forms_normalise_to_eleven_digits(raw: str) -> None:
    assert normalize_mobile(raw) == "13800138000"


@pytest.mark.parametrize("raw", ["", "1380013800", "23800138000", "010 6552 9988", "+1 415 555 0100",
                                 "+852 6123 4567", "abc", "1380013800012"])
def test_not_a_mainland_mobile(raw: str) -> None:
    with pytest.raises(IdentityError) as exc:
        normalize_mobile(raw)
    assert exc.value.message_zh  # a Chinese message for the integrator / staff


def test_identity_parse_hash_and_mask() -> None:
    sms = parse_identity("sms", "+86 139 1234 5678")
    assert (sms.channel, sms.value, sms.masked()) == (Channel.SMS, "13912345678", "139****5678")
    expected = hmac.new(b"k" * 32, b"sms:13912345678", hashlib.sha256).hexdigest()
    assert sms.hashed("k" * 32) == expected
    wx = parse_identity("wechat", " oAbCdEfGhIjKlMnOpQrStUvWxyz ")
    assert wx.value == "oAbCdEfGhIjKlMnOpQrStUvWxyz" and wx.masked() == "oAbC…xyz"
    assert masked("web", "anything") == ""


def test_same_characters_on_two_channels_hash_apart() -> None:
    assert identity_hash("sms", "x" * 28, "secret") != identity_hash("wechat", "x" * 28, "secret")


@pytest.mark.parametrize(("channel", "raw"), [("wechat", "short"), ("wechat", "o" * 20 + "!"), ("web", "x"),
                                              ("fax", "x"), ("sms", None)])
def test_bad_identities(channel: str, raw: str | None) -> None:
    with pytest.raises(IdentityError):
        parse_identity(channel, raw)


# --- callback guard ----------------------------------------------------------------------


def test_secret_matches() -> None:
    assert secret_matches("a-long-callback-secret", "a-long-callback-secret")
    assert not secret_matches("a-long-callback-secreT", "a-long-callback-secret")
    assert not secret_matches("", "")  # nothing configured: nothing matches
    assert not secret_matches(None, "a-long-callback-secret")


def test_source_allow_list() -> None:
    allowed = ["203.0.113.0/24", "2001:db8::/32", "198.51.100.7"]
    assert source_allowed("203.0.113.200", allowed)
    assert source_allowed("::ffff:203.0.113.5", allowed)  # IPv4-mapped, as a dual-stack socket reports it
    assert source_allowed("2001:db8::1", allowed)
    assert source_allowed("198.51.100.7", allowed) and not source_allowed("198.51.100.8", allowed)
    assert not source_allowed("203.0.114.1", allowed)
    assert not source_allowed("not-an-ip", allowed) and not source_allowed(None, allowed)
    assert source_allowed("192.0.2.1", [])  # empty list: any source


def test_bad_allow_list_entry() -> None:
    with pytest.raises(AllowListError):
        parse_networks(["203.0.113.0/33"])


# --- settings ----------------------------------------------------------------------------------

PROD = {"FEEDBACKBOT_ENV": "production", "FEEDBACKBOT_INTEGRATION_TOKEN": "i" * 20,
        "FEEDBACKBOT_SESSION_SECRET": "s" * 20, "ACTION_SERVER_TOKEN": "a" * 20}
TENCENT = {"FEEDBACKBOT_SMS_PROVIDER": "tencent", "FEEDBACKBOT_TENCENT_SECRET_ID": "AKIDx",
           "FEEDBACKBOT_TENCENT_SECRET_KEY": "key", "FEEDBACKBOT_TENCENT_SMS_APP_ID": "1400000001",
           "FEEDBACKBOT_SMS_TEMPLATE_INVITE_ID": "123", "FEEDBACKBOT_SMS_TEMPLATE_REPLY_ID": "124"}


def test_development_defaults_send_nothing() -> None:
    s = Settings.from_env({})
    assert s.sms_provider == "log" and s.sms_allowed_sources == () and not s.sms_allow_long
    assert s.identity_secret == s.session_secret


def test_production_with_log_sender_needs_no_callback_secret() -> None:
    assert Settings.from_env(PROD).sms_provider == "log"


def test_production_with_a_real_provider_needs_a_long_callback_secret() -> None:
    with pytest.raises(SettingsError, match="FEEDBACKBOT_SMS_CALLBACK_SECRET"):
        Settings.from_env(PROD | TENCENT)
    with pytest.raises(SettingsError, match="FEEDBACKBOT_SMS_CALLBACK_SECRET"):
        Settings.from_env(PROD | TENCENT | {"FEEDBACKBOT_SMS_CALLBACK_SECRET": "short"})
    ok = Settings.from_env(PROD | TENCENT | {"FEEDBACKBOT_SMS_CALLBACK_SECRET": "c" * 32})
    assert ok.sms_provider == "tencent"


def test_a_real_provider_needs_its_credentials() -> None:
    with pytest.raises(SettingsError, match="FEEDBACKBOT_ALIYUN_ACCESS_KEY_ID"):
        Settings.from_env({"FEEDBACKBOT_SMS_PROVIDER": "aliyun"})


def test_channel_settings_are_checked() -> None:
    with pytest.raises(SettingsError, match="CIDR"):
        Settings.from_env({"FEEDBACKBOT_SMS_ALLOWED_SOURCES": "203.0.113.0/24, nonsense"})
    assert Settings.from_env({"FEEDBACKBOT_SMS_ALLOWED_SOURCES": "203.0.113.0/24, 198.51.100.7"}).sms_allowed_sources == (
        "203.0.113.0/24", "198.51.100.7")
    with pytest.raises(SettingsError, match="43"):
        Settings.from_env({"FEEDBACKBOT_WECHAT_AES_KEY": "short", "FEEDBACKBOT_WECHAT_APP_ID": "wx1"})
    with pytest.raises(SettingsError, match="APP_ID"):
        Settings.from_env({"FEEDBACKBOT_WECHAT_AES_KEY": "k" * 43})
    with pytest.raises(SettingsError, match="scheme"):
        Settings.from_env({"FEEDBACKBOT_WECHAT_API_BASE": "api.weixin.qq.com"})


def test_the_invitation_is_checked_at_start_up() -> None:
    # 【…】 of 26 characters + 43 of wording = 71: over one message.
    with pytest.raises(SettingsError, match="71 characters"):
        Settings.from_env({"FEEDBACKBOT_SMS_SIGN": "x" * 26})
    assert Settings.from_env({"FEEDBACKBOT_SMS_SIGN": "x" * 26, "FEEDBACKBOT_SMS_ALLOW_LONG": "true"}).sms_allow_long
    with pytest.raises(SettingsError, match="v9"):
        Settings.from_env({"FEEDBACKBOT_SMS_INVITE_VERSION": "v9"})


def test_identity_secret_outside_development() -> None:
    with pytest.raises(SettingsError, match="FEEDBACKBOT_IDENTITY_SECRET"):
        Settings.from_env(PROD | {"FEEDBACKBOT_IDENTITY_SECRET": "short"})
    assert Settings.from_env(PROD | {"FEEDBACKBOT_IDENTITY_SECRET": "i" * 32}).identity_secret == "i" * 32
