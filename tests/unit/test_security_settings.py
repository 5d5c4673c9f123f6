"""Secrets of the internal servers: where they come from and when they are refused."""
from __future__ import annotations

import pytest

from bot.ops.stack import Stack
from bot.settings import DEV_ACTION_SERVER_TOKEN, Settings, SettingsError

REAL = {"FEEDBACKBOT_INTEGRATION_TOKEN": "i" * 32, "FEEDBACKBOT_SESSION_SECRET": "s" * 32,
        "ACTION_SERVER_TOKEN": "a" * 32}


def test_rasa_api_is_off_unless_a_token_is_set(tmp_path):
    off = Stack(database_url="sqlite://", log_dir=tmp_path, extra_env={"RASA_API_TOKEN": ""})
    assert off.rasa_api_args() == []
    on = Stack(database_url="sqlite://", log_dir=tmp_path, extra_env={"RASA_API_TOKEN": "t" * 24})
    assert on.rasa_api_args() == ["--enable-api", "--auth-token", "t" * 24]


@pytest.mark.parametrize("env_name", ["test", "production"])
def test_a_short_rasa_api_token_is_refused_outside_development(env_name):
    assert Settings.from_env({"FEEDBACKBOT_ENV": env_name, **REAL}).rasa_api_token is None
    assert Settings.from_env({"FEEDBACKBOT_ENV": env_name, **REAL, "RASA_API_TOKEN": "r" * 20}).rasa_api_token
    with pytest.raises(SettingsError):
        Settings.from_env({"FEEDBACKBOT_ENV": env_name, **REAL, "RASA_API_TOKEN": "short"})


def test_the_stack_gives_rasa_the_secret_the_action_server_checks(tmp_path):
    dev = Stack(database_url="sqlite://", log_dir=tmp_path, extra_env={"ACTION_SERVER_TOKEN": ""})
    assert dev.env()["ACTION_SERVER_TOKEN"] == DEV_ACTION_SERVER_TOKEN
    prod = Stack(database_url="sqlite://", log_dir=tmp_path, extra_env={"FEEDBACKBOT_ENV": "production", **REAL})
    assert prod.env()["ACTION_SERVER_TOKEN"] == "a" * 32
    unsafe = Stack(database_url="sqlite://", log_dir=tmp_path,
                   extra_env={"FEEDBACKBOT_ENV": "production", **REAL, "ACTION_SERVER_TOKEN": ""})
    with pytest.raises(SettingsError):
        unsafe.env()  # the development secret in production: nothing starts
