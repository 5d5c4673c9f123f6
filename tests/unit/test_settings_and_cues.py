"""Settings from the environment and the dialogue's small recognisers."""
from __future__ import annotations

import pytest

from bot.dialogue.cues import cause_choice, is_complaint
from bot.settings import Settings, SettingsError


def test_defaults_are_development_on_sqlite():
    s = Settings.from_env({})
    assert s.env == "development" and s.database_url.startswith("sqlite:///")
    assert s.survey_window_minutes == 60


@pytest.mark.parametrize("env", [
    {"FEEDBACKBOT_ENV": "production"},
    {"FEEDBACKBOT_ENV": "production", "FEEDBACKBOT_INTEGRATION_TOKEN": "short"},
    {"FEEDBACKBOT_SURVEY_WINDOW_MINUTES": "soon"},
    {"FEEDBACKBOT_SURVEY_WINDOW_MINUTES": "0"},
    {"FEEDBACKBOT_ENV": "staging"},
])
def test_unsafe_or_malformed_settings_are_refused(env):
    with pytest.raises(SettingsError):
        Settings.from_env(env)


def test_production_accepts_real_secrets():
    s = Settings.from_env({"FEEDBACKBOT_ENV": "production", "FEEDBACKBOT_INTEGRATION_TOKEN": "x" * 32,
                           "FEEDBACKBOT_ADMIN_TOKEN": "y" * 32, "FEEDBACKBOT_SESSION_SECRET": "z" * 32,
                           "ACTION_SERVER_TOKEN": "w" * 32, "DATABASE_URL": "postgresql://u@h/db"})
    assert s.database_url == "postgresql://u@h/db"


@pytest.mark.parametrize("text,expected", [
    ("我要投诉", True), ("我要投訴你們", True), ("我要打12315", True), ("叫你们经理来", True),
    ("找你们领导", True), ("态度太差了", False), ("5", False), ("", False),
])
def test_complaint_cues(text, expected):
    assert is_complaint(text) is expected


@pytest.mark.parametrize("text,expected", [
    ("你们给我等着瞧", True), ("我一定要去讨个说法", True), ("这事我不会放过你们", True),
    ("你们等着，我去拿一下单子", False), ("快递丢了一个多星期都没人给个说法", False),
])
def test_threats_of_consequences_are_complaints(text, expected):
    assert is_complaint(text) is expected


@pytest.mark.parametrize("text,expected", [
    ("客服人员的服务", "staff"), ("公司业务或规定", "policy"), ("网络或系统", "network_system"), ("其他", "other"),
    ("1", "staff"), ("4", "other"), ("是客服的问题", "staff"), ("网络不好", "network_system"),
    ("", None), ("嗯", None), ("客服和网络都有问题", None), ("5", None),
])
def test_cause_choice(text, expected):
    assert cause_choice(text) == expected


@pytest.mark.parametrize("text,expected", [
    ("5 客服态度太差了，直接挂我电话", (5, "客服态度太差了,直接挂我电话")),
    ("1 非常满意", (1, "非常满意")),
    ("1分，非常满意", (1, "非常满意")),
    ("5", None), ("5 非常满意", None), ("5G信号差", None), ("3-4 一般", None), ("4.5 满意", None),
    ("13812345678", None), ("5分钟都没人接 差评", None), ("5个小时 满意", None), ("", None),
])
def test_contradicted_score(text, expected):
    from bot.dialogue.cues import contradicted_score

    assert contradicted_score(text) == expected
