"""One settings object for every process of ours, read from environment variables with pydantic-settings.

Defaults suit a developer laptop (SQLite file under ``var/``, development
secrets). Outside ``FEEDBACKBOT_ENV=development`` the development secrets are
refused, so a test or production deployment cannot start with a known token.
Every path under ``var/`` and every environment variable the product reads is
declared here.
"""
from __future__ import annotations

from collections.abc import Mapping
from contextvars import ContextVar
from pathlib import Path
from typing import Any, Literal

from pydantic import AliasChoices, Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent
DEV_INTEGRATION_TOKEN = "dev-integration-token"
DEV_SESSION_SECRET = "dev-session-secret-not-for-production"
DEV_ACTION_SERVER_TOKEN = "dev-action-server-token"
MIN_SECRET_CHARS = 16


# Set while Settings.from_env(mapping) builds from a mapping alone, so the
# process environment cannot leak into an explicitly given configuration.
_MAPPING_ONLY: ContextVar[bool] = ContextVar("_MAPPING_ONLY", default=False)


class SettingsError(RuntimeError):
    """Raised when the environment describes an unsafe or invalid configuration."""


def _env(name: str) -> AliasChoices:
    return AliasChoices(name)


class Settings(BaseSettings):
    """Runtime configuration of the web app, the action server and the CLI."""

    model_config = SettingsConfigDict(frozen=True, extra="ignore", env_ignore_empty=True, populate_by_name=True)

    env: Literal["development", "test", "production"] = Field("development", validation_alias=_env("FEEDBACKBOT_ENV"))
    var_dir: Path = Field(ROOT / "var", validation_alias=_env("FEEDBACKBOT_VAR_DIR"),
                          description="Runtime files: SQLite database, logs, Rasa models, classifier models")
    database_url_override: str | None = Field(None, validation_alias=_env("DATABASE_URL"))
    model_dir_override: Path | None = Field(None, validation_alias=_env("FEEDBACKBOT_MODEL_DIR"))
    integration_token: str = Field(DEV_INTEGRATION_TOKEN, validation_alias=_env("FEEDBACKBOT_INTEGRATION_TOKEN"))
    session_secret: str = Field(DEV_SESSION_SECRET, validation_alias=_env("FEEDBACKBOT_SESSION_SECRET"),
                                description="Signs staff session cookies and CSRF tokens")
    survey_window_minutes: int = Field(60, gt=0, validation_alias=_env("FEEDBACKBOT_SURVEY_WINDOW_MINUTES"))
    rasa_url: str = Field("http://127.0.0.1:5005", validation_alias=_env("RASA_URL"))
    action_server_token: str = Field(
        DEV_ACTION_SERVER_TOKEN, validation_alias=_env("ACTION_SERVER_TOKEN"),
        description="Shared secret Rasa sends to the action server (Authorization: Bearer); anything else is 401")
    rasa_api_token: str | None = Field(
        None, validation_alias=_env("RASA_API_TOKEN"),
        description="Enables Rasa's HTTP API (--enable-api --auth-token) when set; unset: the API is off")
    public_base_url: str = Field("http://127.0.0.1:8000", validation_alias=_env("FEEDBACKBOT_PUBLIC_URL"))
    greeting_version: str = Field("v1", validation_alias=_env("FEEDBACKBOT_GREETING_VERSION"))
    # PostgreSQL connections kept per process: an action server process runs one turn at a
    # time, a web worker a few requests; overflow covers bursts (docs/performance.md).
    db_pool_size: int = Field(5, gt=0, le=100, validation_alias=_env("FEEDBACKBOT_DB_POOL_SIZE"))
    timezone: str = Field("Asia/Shanghai", validation_alias=_env("FEEDBACKBOT_TIMEZONE"),
                          description="The centre's time zone: a call belongs to the period of its end time there")
    min_sample: int = Field(10, gt=0, validation_alias=_env("FEEDBACKBOT_MIN_SAMPLE"),
                            description="Fewer counted responses than this: figures shown, no verdict")
    appeal_window_days: int = Field(
        7, gt=0, validation_alias=_env("FEEDBACKBOT_APPEAL_WINDOW_DAYS"),
        description="Days an agent may appeal a staff attribution, from when it was recorded (reasons.created_at)")
    appeal_mode: Literal["supervisor", "panel"] = Field(
        "supervisor", validation_alias=_env("FEEDBACKBOT_APPEAL_MODE"),
        description="Who decides appeals first: the team's supervisor, or a blind panel of reviewers")
    appeal_panel_size: int = Field(3, ge=1, le=15, validation_alias=_env("FEEDBACKBOT_APPEAL_PANEL_SIZE"),
                                   description="Reviewers drawn for an appeal panel; a strict majority decides")
    appeal_deadline_workdays: int = Field(
        3, gt=0, validation_alias=_env("FEEDBACKBOT_APPEAL_DEADLINE_WORKDAYS"),
        description="Chinese working days (official holidays and make-up workdays) to decide an appeal")

    rabbitmq_host: str = Field("127.0.0.1", validation_alias=_env("RABBITMQ_HOST"))
    rabbitmq_port: int = Field(5672, validation_alias=_env("RABBITMQ_PORT"))
    rabbitmq_user: str = Field("guest", validation_alias=_env("RABBITMQ_USER"))
    rabbitmq_password: str = Field("guest", validation_alias=_env("RABBITMQ_PASSWORD"))
    rabbitmq_queue: str = Field("rasa_production_events", validation_alias=_env("RABBITMQ_QUEUE"),
                                description="Queue Rasa publishes its events to; the funnel consumer reads it")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Keyword arguments, then the process environment (no .env files: secrets come from the environment)."""
        return (init_settings,) if _MAPPING_ONLY.get() else (init_settings, env_settings)

    @field_validator("rasa_url", "public_base_url")
    @classmethod
    def _no_trailing_slash(cls, v: str) -> str:
        return v.rstrip("/")

    @model_validator(mode="after")
    def _refuse_unsafe(self) -> Settings:
        for name, value, dev in (
            ("FEEDBACKBOT_INTEGRATION_TOKEN", self.integration_token, DEV_INTEGRATION_TOKEN),
            ("FEEDBACKBOT_SESSION_SECRET", self.session_secret, DEV_SESSION_SECRET),
            ("ACTION_SERVER_TOKEN", self.action_server_token, DEV_ACTION_SERVER_TOKEN),
            *((("RASA_API_TOKEN", self.rasa_api_token, ""),) if self.rasa_api_token is not None else ()),
        ):
            if not value.strip():
                raise ValueError(f"{name} must not be empty")
            if self.env != "development" and (value == dev or len(value) < MIN_SECRET_CHARS):
                raise ValueError(f"{name}: set a real secret (≥{MIN_SECRET_CHARS} characters) outside development")
        return self

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Build settings from ``environ`` (default: the process environment) and validate them.

        Raises:
            SettingsError: when a value is malformed, or a development secret is
                used outside development.
        """
        try:
            if environ is None:
                return cls()
            token = _MAPPING_ONLY.set(True)
            try:
                values: dict[str, Any] = {k: v for k, v in environ.items() if v != ""}
                return cls(**values)
            finally:
                _MAPPING_ONLY.reset(token)
        except ValidationError as exc:
            raise SettingsError(str(exc)) from exc

    # --- derived values ------------------------------------------------------

    @property
    def database_url(self) -> str:
        """``DATABASE_URL``, or the SQLite file under ``var/``."""
        return self.database_url_override or f"sqlite:///{self.var_dir / 'feedbackbot.db'}"

    @property
    def model_dir(self) -> Path:
        """Versioned cause-classifier models and their ``CURRENT`` pointer."""
        return self.model_dir_override or self.var_dir / "models" / "classifier"

    @property
    def log_dir(self) -> Path:
        """Server logs written by ``feedbackbot run``."""
        return self.var_dir / "log"

    @property
    def rasa_models_dir(self) -> Path:
        """Trained Rasa model archives."""
        return self.var_dir / "rasa-models"
