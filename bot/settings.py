"""One settings object, read from environment variables.

Defaults suit a developer laptop (SQLite file, development secrets). Outside
``FEEDBACKBOT_ENV=development`` the development defaults for secrets are
refused, so a production deployment cannot start with a known token.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEV_INTEGRATION_TOKEN = "dev-integration-token"
DEV_ADMIN_TOKEN = "dev-admin-token"


class SettingsError(RuntimeError):
    """Raised when the environment describes an unsafe or invalid configuration."""


def _int(env: dict[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise SettingsError(f"{name} must be an integer, got {raw!r}") from exc
    if value <= 0:
        raise SettingsError(f"{name} must be positive, got {value}")
    return value


@dataclass(frozen=True)
class Settings:
    """Runtime configuration of every process of ours (web app, action server, CLI)."""

    env: str = "development"
    database_url: str = field(default_factory=lambda: f"sqlite:///{ROOT / 'var' / 'feedbackbot.db'}")
    integration_token: str = DEV_INTEGRATION_TOKEN
    admin_token: str = DEV_ADMIN_TOKEN
    survey_window_minutes: int = 60
    rasa_url: str = "http://127.0.0.1:5005"
    public_base_url: str = "http://127.0.0.1:8000"
    greeting_version: str = "v1"

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        """Build settings from ``environ`` (default ``os.environ``) and validate them.

        Raises:
            SettingsError: when a value is malformed, or a development secret is
                used outside development.
        """
        env = dict(os.environ if environ is None else environ)
        settings = cls(
            env=env.get("FEEDBACKBOT_ENV", "development"),
            database_url=env.get("DATABASE_URL") or cls().database_url,
            integration_token=env.get("FEEDBACKBOT_INTEGRATION_TOKEN", DEV_INTEGRATION_TOKEN),
            admin_token=env.get("FEEDBACKBOT_ADMIN_TOKEN", DEV_ADMIN_TOKEN),
            survey_window_minutes=_int(env, "FEEDBACKBOT_SURVEY_WINDOW_MINUTES", 60),
            rasa_url=env.get("RASA_URL", "http://127.0.0.1:5005").rstrip("/"),
            public_base_url=env.get("FEEDBACKBOT_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/"),
            greeting_version=env.get("FEEDBACKBOT_GREETING_VERSION", "v1"),
        )
        settings.validate()
        return settings

    def validate(self) -> None:
        """Refuse development secrets outside development and empty secrets anywhere."""
        if self.env not in ("development", "test", "production"):
            raise SettingsError(f"FEEDBACKBOT_ENV must be development, test or production, got {self.env!r}")
        for name, value, dev in (
            ("FEEDBACKBOT_INTEGRATION_TOKEN", self.integration_token, DEV_INTEGRATION_TOKEN),
            ("FEEDBACKBOT_ADMIN_TOKEN", self.admin_token, DEV_ADMIN_TOKEN),
        ):
            if not value:
                raise SettingsError(f"{name} must not be empty")
            if self.env == "production" and (value == dev or len(value) < 16):
                raise SettingsError(f"{name}: set a real secret (≥16 characters) in production")
