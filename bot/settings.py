"""One settings object for every process of ours, read from environment variables with pydantic-settings.

Defaults suit a developer laptop (SQLite file under ``var/``, development
secrets). Outside ``FEEDBACKBOT_ENV=development`` the development secrets are
refused, so a test or production deployment cannot start with a known token.
Every path under ``var/`` and every environment variable the product reads is
declared here.
"""
from __future__ import annotations

import hashlib
import ipaddress
from collections.abc import Mapping
from contextvars import ContextVar
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal

from pydantic import AliasChoices, Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from bot.domain.case_levels import parse_levels

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
    classifier_corpus_override: Path | None = Field(
        None, validation_alias=_env("FEEDBACKBOT_CLASSIFIER_CORPUS"),
        description="Directory of the corpus (*.jsonl items) retraining starts from; unset: the committed "
                    "classifiers/data/items (a small corpus makes a quick trial run, as the browser tests do)")
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
    trusted_proxies: str = Field(
        "", validation_alias=_env("FEEDBACKBOT_TRUSTED_PROXIES"),
        description="Comma-separated IPs/CIDRs of the reverse proxies whose X-Forwarded-For names the client; "
                    "empty: no proxy is trusted and the client is the TCP peer")
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

    review_margin: float = Field(0.1, ge=0, le=1, validation_alias=_env("FEEDBACKBOT_REVIEW_MARGIN"),
                                 description="Model staff attributions whose confidence is within this of the "
                                             "model's staff threshold go to the review queue")
    review_double_share: float = Field(0.10, ge=0, le=1, validation_alias=_env("FEEDBACKBOT_REVIEW_DOUBLE_SHARE"),
                                       description="Share of review items labelled blind by a second reviewer")

    rabbitmq_host: str = Field("127.0.0.1", validation_alias=_env("RABBITMQ_HOST"))
    rabbitmq_port: int = Field(5672, validation_alias=_env("RABBITMQ_PORT"))
    rabbitmq_user: str = Field("guest", validation_alias=_env("RABBITMQ_USER"))
    rabbitmq_password: str = Field("guest", validation_alias=_env("RABBITMQ_PASSWORD"))
    rabbitmq_queue: str = Field("rasa_production_events", validation_alias=_env("RABBITMQ_QUEUE"),
                                description="Queue Rasa publishes its events to; the funnel consumer reads it")
    # Rasa's SQL tracker store (endpoints.production.yml reads the same variables): erasure on
    # request deletes a customer's conversations from it (bot/privacy/tracker.py). Unset host: none.
    rasa_tracker_db_host: str | None = Field(None, validation_alias=_env("RASA_TRACKER_DB_HOST"))
    rasa_tracker_db_port: int = Field(5432, validation_alias=_env("RASA_TRACKER_DB_PORT"))
    rasa_tracker_db_name: str = Field("rasa", validation_alias=_env("RASA_TRACKER_DB_NAME"))
    rasa_tracker_db_user: str = Field("postgres", validation_alias=_env("RASA_TRACKER_DB_USER"))
    rasa_tracker_db_password: str = Field("", validation_alias=_env("RASA_TRACKER_DB_PASSWORD"))
    redis_host: str = Field("127.0.0.1", validation_alias=_env("REDIS_HOST"))
    redis_port: int = Field(6379, validation_alias=_env("REDIS_PORT"))
    redis_db: int = Field(0, ge=0, validation_alias=_env("REDIS_DB"))

    # Background jobs (bot/jobs, docs/jobs.md). None: SQLite in development and test, Redis in production.
    jobs_backend_choice: Literal["sqlite", "redis"] | None = Field(
        None, validation_alias=_env("FEEDBACKBOT_JOBS_BACKEND"),
        description="Where the job queue lives: sqlite (a file under var/) or redis; production requires redis")
    jobs_redis_url: str | None = Field(
        None, validation_alias=_env("FEEDBACKBOT_JOBS_REDIS_URL"),
        description="redis://host:port/db of the job queue; unset: REDIS_HOST, REDIS_PORT, REDIS_DB")
    jobs_sqlite_path_override: Path | None = Field(None, validation_alias=_env("FEEDBACKBOT_JOBS_SQLITE_PATH"))
    jobs_queue_override: str | None = Field(
        None, pattern=r"^[A-Za-z0-9_.-]{1,64}$", validation_alias=_env("FEEDBACKBOT_JOBS_QUEUE"),
        description="Name of the job queue; unset: derived from DATABASE_URL")
    worker_threads: int = Field(2, ge=1, le=16, validation_alias=_env("FEEDBACKBOT_WORKER_THREADS"))
    worker_heartbeat_max_age_s: int = Field(
        180, ge=30, validation_alias=_env("FEEDBACKBOT_WORKER_HEARTBEAT_MAX_AGE"),
        description="/healthz fails the worker check when its last heartbeat is older (seconds)")
    case_levels: str = Field(
        "班组长=24,中心经理=48,投诉/质检办=72", validation_alias=_env("FEEDBACKBOT_CASE_LEVELS"),
        description="Complaint case levels in order, NAME=HOURS to answer (bot.cases.policy); the first level "
                    "is the team's supervisor, the others every admin")
    idle_sweep_minutes_override: int | None = Field(
        None, gt=0, validation_alias=_env("FEEDBACKBOT_IDLE_SWEEP_MINUTES"),
        description="Live surveys idle this long are finished by the sweep; unset: the survey window + 30")

    chat_rate_per_survey: int = Field(
        30, gt=0, validation_alias=_env("FEEDBACKBOT_CHAT_RATE_PER_SURVEY"),
        description="Customer messages one survey may send per minute; more get 429 (nothing reaches the dialogue)")
    chat_rate_per_address: int = Field(
        600, gt=0, validation_alias=_env("FEEDBACKBOT_CHAT_RATE_PER_ADDRESS"),
        description="Customer messages one client address may send per minute, all surveys together (the address "
                    "as FEEDBACKBOT_TRUSTED_PROXIES resolves it)")
    text_retention_days: int = Field(
        365, gt=0, validation_alias=_env("FEEDBACKBOT_TEXT_RETENTION_DAYS"),
        description="Customers' free text (replies, reasons, transcripts, channel messages) is removed this many "
                    "days after the call; scores, causes and the audit trail stay")

    # --- SMS and WeChat survey channels (bot/channels) -------------------------------------------
    # Development default: the "log" sender writes what it would send to the log and sends nothing.
    sms_provider: Literal["log", "tencent", "aliyun", "generic"] = Field(
        "log", validation_alias=_env("FEEDBACKBOT_SMS_PROVIDER"),
        description="log (send nothing), tencent, aliyun or generic")
    sms_sign: str = Field("客服中心", validation_alias=_env("FEEDBACKBOT_SMS_SIGN"),
                          description="Registered SMS signature without 【】; counted in the billed length")
    sms_invite_version: str = Field("v1", validation_alias=_env("FEEDBACKBOT_SMS_INVITE_VERSION"))
    sms_reply_version: str = Field("v1", validation_alias=_env("FEEDBACKBOT_SMS_REPLY_VERSION"))
    sms_template_invite_id: str = Field("", validation_alias=_env("FEEDBACKBOT_SMS_TEMPLATE_INVITE_ID"),
                                        description="Provider's id of the registered invitation template")
    sms_template_reply_id: str = Field("", validation_alias=_env("FEEDBACKBOT_SMS_TEMPLATE_REPLY_ID"),
                                       description="Provider's id of the registered reply template")
    sms_callback_secret: str = Field("", validation_alias=_env("FEEDBACKBOT_SMS_CALLBACK_SECRET"),
                                     description="Secret path segment of /callbacks/sms/<provider>/{secret}")
    sms_allowed_sources_csv: str = Field("", validation_alias=_env("FEEDBACKBOT_SMS_ALLOWED_SOURCES"),
                                         description="Comma-separated CIDR ranges callbacks may come from; empty = any")
    sms_replay_window_seconds: int = Field(86400, gt=0, validation_alias=_env("FEEDBACKBOT_SMS_REPLAY_WINDOW_SECONDS"),
                                           description="Replies older than this are refused")
    sms_replay_skew_seconds: int = Field(300, ge=0, validation_alias=_env("FEEDBACKBOT_SMS_REPLAY_SKEW_SECONDS"),
                                         description="Replies dated further in the future are refused")
    sms_daily_cap: int = Field(10, gt=0, validation_alias=_env("FEEDBACKBOT_SMS_DAILY_CAP"),
                               description="SMS sent to one number per day, all surveys together")
    sms_allow_long: bool = Field(False, validation_alias=_env("FEEDBACKBOT_SMS_ALLOW_LONG"),
                                 description="Allow texts over 70 characters, billed in 67-character segments")
    sms_send_timeout_seconds: float = Field(5.0, gt=0, le=60, validation_alias=_env("FEEDBACKBOT_SMS_SEND_TIMEOUT"))
    tencent_secret_id: str = Field("", validation_alias=AliasChoices("FEEDBACKBOT_TENCENT_SECRET_ID",
                                                                     "TENCENTCLOUD_SECRET_ID"))
    tencent_secret_key: str = Field("", validation_alias=AliasChoices("FEEDBACKBOT_TENCENT_SECRET_KEY",
                                                                      "TENCENTCLOUD_SECRET_KEY"))
    tencent_sms_app_id: str = Field("", validation_alias=_env("FEEDBACKBOT_TENCENT_SMS_APP_ID"),
                                    description="SmsSdkAppId of the Tencent Cloud SMS application")
    tencent_sms_region: str = Field("ap-guangzhou", validation_alias=_env("FEEDBACKBOT_TENCENT_SMS_REGION"))
    tencent_sms_endpoint: str = Field("https://sms.tencentcloudapi.com",
                                      validation_alias=_env("FEEDBACKBOT_TENCENT_SMS_ENDPOINT"))
    aliyun_access_key_id: str = Field("", validation_alias=AliasChoices("FEEDBACKBOT_ALIYUN_ACCESS_KEY_ID",
                                                                        "ALIBABA_CLOUD_ACCESS_KEY_ID"))
    aliyun_access_key_secret: str = Field("", validation_alias=AliasChoices("FEEDBACKBOT_ALIYUN_ACCESS_KEY_SECRET",
                                                                            "ALIBABA_CLOUD_ACCESS_KEY_SECRET"))
    aliyun_sms_endpoint: str = Field("https://dysmsapi.aliyuncs.com",
                                     validation_alias=_env("FEEDBACKBOT_ALIYUN_SMS_ENDPOINT"))
    sms_generic_url: str = Field("", validation_alias=_env("FEEDBACKBOT_SMS_GENERIC_URL"),
                                 description="Send endpoint of the centre's own SMS gateway")
    sms_generic_token: str = Field("", validation_alias=_env("FEEDBACKBOT_SMS_GENERIC_TOKEN"),
                                   description="Bearer token for the generic SMS gateway")
    identity_secret_override: str | None = Field(
        None, validation_alias=_env("FEEDBACKBOT_IDENTITY_SECRET"),
        description="Key of the stored channel-identity hashes; default: FEEDBACKBOT_SESSION_SECRET")
    wechat_token: str = Field("", validation_alias=_env("FEEDBACKBOT_WECHAT_TOKEN"),
                              description="Token configured in the official account's server settings (3-32 chars)")
    wechat_app_id: str = Field("", validation_alias=_env("FEEDBACKBOT_WECHAT_APP_ID"))
    wechat_app_secret: str = Field("", validation_alias=_env("FEEDBACKBOT_WECHAT_APP_SECRET"))
    wechat_aes_key: str = Field("", validation_alias=_env("FEEDBACKBOT_WECHAT_AES_KEY"),
                                description="EncodingAESKey (43 characters) for the encrypted (safe) mode")
    wechat_api_base: str = Field("https://api.weixin.qq.com", validation_alias=_env("FEEDBACKBOT_WECHAT_API_BASE"))

    @field_validator("tencent_sms_endpoint", "aliyun_sms_endpoint", "wechat_api_base")
    @classmethod
    def _channel_url(cls, v: str) -> str:
        if not v.startswith(("http://", "https://")):
            raise ValueError(f"{v!r}: give the scheme, http:// or https://")
        return v.rstrip("/")

    @model_validator(mode="after")
    def _check_channels(self) -> Settings:
        for entry in self.sms_allowed_sources:
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError as exc:
                raise ValueError(f"FEEDBACKBOT_SMS_ALLOWED_SOURCES: {entry!r} is not an address or CIDR range") from exc
        needed = {
            "tencent": (("FEEDBACKBOT_TENCENT_SECRET_ID", self.tencent_secret_id),
                        ("FEEDBACKBOT_TENCENT_SECRET_KEY", self.tencent_secret_key),
                        ("FEEDBACKBOT_TENCENT_SMS_APP_ID", self.tencent_sms_app_id)),
            "aliyun": (("FEEDBACKBOT_ALIYUN_ACCESS_KEY_ID", self.aliyun_access_key_id),
                       ("FEEDBACKBOT_ALIYUN_ACCESS_KEY_SECRET", self.aliyun_access_key_secret)),
            "generic": (("FEEDBACKBOT_SMS_GENERIC_URL", self.sms_generic_url),
                        ("FEEDBACKBOT_SMS_GENERIC_TOKEN", self.sms_generic_token)),
        }.get(self.sms_provider, ())
        if needed:
            missing = [name for name, value in (*needed,
                                                ("FEEDBACKBOT_SMS_TEMPLATE_INVITE_ID", self.sms_template_invite_id),
                                                ("FEEDBACKBOT_SMS_TEMPLATE_REPLY_ID", self.sms_template_reply_id))
                       if not value.strip()]
            if missing:
                raise ValueError(f"FEEDBACKBOT_SMS_PROVIDER={self.sms_provider} needs {', '.join(missing)}")
            # The callback secret is the only thing that authenticates the providers' unsigned pushes.
            if self.env != "development" and len(self.sms_callback_secret) < MIN_SECRET_CHARS:
                raise ValueError(f"FEEDBACKBOT_SMS_CALLBACK_SECRET: set a random secret (≥{MIN_SECRET_CHARS} "
                                 "characters) when a real SMS provider is configured")
        if (self.env != "development" and self.identity_secret_override is not None
                and len(self.identity_secret_override) < MIN_SECRET_CHARS):
            raise ValueError(f"FEEDBACKBOT_IDENTITY_SECRET: set a real secret (≥{MIN_SECRET_CHARS} characters)")
        # The invitation is fixed text: refuse at start-up a signature or version that cannot be sent.
        from bot.domain.sms_templates import TemplateError, check_templates

        try:
            check_templates(self.sms_sign, {"invite": self.sms_invite_version}, allow_long=self.sms_allow_long)
            check_templates(self.sms_sign, {"reply": self.sms_reply_version}, allow_long=True)
        except TemplateError as exc:
            raise ValueError(f"FEEDBACKBOT_SMS_SIGN / FEEDBACKBOT_SMS_*_VERSION: {exc}") from exc
        if self.wechat_aes_key and len(self.wechat_aes_key) != 43:
            raise ValueError("FEEDBACKBOT_WECHAT_AES_KEY must be the 43-character EncodingAESKey")
        if self.wechat_aes_key and not self.wechat_app_id:
            raise ValueError("FEEDBACKBOT_WECHAT_AES_KEY needs FEEDBACKBOT_WECHAT_APP_ID (the encrypted mode checks it)")
        if self.wechat_token and not 3 <= len(self.wechat_token) <= 32:
            raise ValueError("FEEDBACKBOT_WECHAT_TOKEN must be 3-32 characters (WeChat's rule)")
        return self

    @property
    def sms_allowed_sources(self) -> tuple[str, ...]:
        """``FEEDBACKBOT_SMS_ALLOWED_SOURCES`` as a tuple of CIDR strings (empty: any source)."""
        return tuple(p.strip() for p in self.sms_allowed_sources_csv.split(",") if p.strip())

    @property
    def identity_secret(self) -> str:
        """Key of the channel-identity hashes (``bot.channels.identity.identity_hash``)."""
        return self.identity_secret_override or self.session_secret
    # --- end of SMS and WeChat survey channels ---------------------------------------------------

    # --- outbound staff notifications (bot/notifications) ----------------------------------------
    # Development default: nothing configured, nothing sent (deliveries are recorded ``skipped``).
    notify_wecom_webhook: str = Field(
        "", validation_alias=_env("FEEDBACKBOT_NOTIFY_WECOM_WEBHOOK"),
        description="WeCom (企业微信) group robot URL (https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…) "
                    "for staff notifications; empty: none")
    notify_dingtalk_webhook: str = Field(
        "", validation_alias=_env("FEEDBACKBOT_NOTIFY_DINGTALK_WEBHOOK"),
        description="DingTalk group robot URL (https://oapi.dingtalk.com/robot/send?access_token=…); empty: none")
    notify_dingtalk_secret: str = Field(
        "", validation_alias=_env("FEEDBACKBOT_NOTIFY_DINGTALK_SECRET"),
        description="The DingTalk robot's 加签 secret (SEC…); empty: the robot checks keywords or IPs instead")
    notify_email_to_csv: str = Field(
        "", validation_alias=_env("FEEDBACKBOT_NOTIFY_EMAIL_TO"),
        description="Comma-separated addresses that receive staff notifications by e-mail; empty: none")
    smtp_host: str = Field("", validation_alias=_env("FEEDBACKBOT_SMTP_HOST"),
                           description="SMTP server for notification e-mail; empty: no e-mail is sent")
    smtp_port: int = Field(587, gt=0, lt=65536, validation_alias=_env("FEEDBACKBOT_SMTP_PORT"))
    smtp_security: Literal["starttls", "ssl", "none"] = Field(
        "starttls", validation_alias=_env("FEEDBACKBOT_SMTP_SECURITY"),
        description="starttls (port 587), ssl (SMTPS, port 465) or none (a relay on the local network)")
    smtp_user: str = Field("", validation_alias=_env("FEEDBACKBOT_SMTP_USER"))
    smtp_password: str = Field("", validation_alias=_env("FEEDBACKBOT_SMTP_PASSWORD"))
    smtp_from: str = Field("", validation_alias=_env("FEEDBACKBOT_SMTP_FROM"),
                           description="From: address of notification e-mail")
    notify_timeout_seconds: float = Field(10.0, gt=0, le=60, validation_alias=_env("FEEDBACKBOT_NOTIFY_TIMEOUT"),
                                          description="Seconds one webhook call or SMTP session may take")

    @field_validator("notify_wecom_webhook", "notify_dingtalk_webhook")
    @classmethod
    def _webhook_url(cls, v: str) -> str:
        if v and not v.startswith(("http://", "https://")):
            raise ValueError(f"{v[:40]!r}…: a webhook URL starts with https:// (or http:// for a local relay)")
        return v

    @model_validator(mode="after")
    def _check_notifications(self) -> Settings:
        if self.notify_email_to and not (self.smtp_host and self.smtp_from):
            raise ValueError("FEEDBACKBOT_NOTIFY_EMAIL_TO needs FEEDBACKBOT_SMTP_HOST and FEEDBACKBOT_SMTP_FROM")
        if self.smtp_host and not self.smtp_from:
            raise ValueError("FEEDBACKBOT_SMTP_HOST needs FEEDBACKBOT_SMTP_FROM (the From: address)")
        if self.notify_dingtalk_secret and not self.notify_dingtalk_webhook:
            raise ValueError("FEEDBACKBOT_NOTIFY_DINGTALK_SECRET needs FEEDBACKBOT_NOTIFY_DINGTALK_WEBHOOK")
        return self

    @property
    def notify_email_to(self) -> tuple[str, ...]:
        """``FEEDBACKBOT_NOTIFY_EMAIL_TO`` as a tuple of addresses (empty: no staff e-mail)."""
        return tuple(a.strip() for a in self.notify_email_to_csv.split(",") if a.strip())
    # --- end of outbound staff notifications -----------------------------------------------------

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

    @field_validator("case_levels")
    @classmethod
    def _case_levels(cls, v: str) -> str:
        parse_levels(v)  # PolicyError (a ValueError) says what is wrong
        return v

    @field_validator("rasa_url", "public_base_url")
    @classmethod
    def _no_trailing_slash(cls, v: str) -> str:
        return v.rstrip("/")

    @field_validator("trusted_proxies")
    @classmethod
    def _proxy_networks(cls, v: str) -> str:
        # uvicorn's own parser turns a malformed entry into a literal that never matches: say so here instead.
        entries = [e.strip() for e in v.split(",") if e.strip()]
        for entry in entries:
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError as exc:
                raise ValueError(f"FEEDBACKBOT_TRUSTED_PROXIES: {entry!r} is not an IP address or CIDR") from exc
        return ",".join(entries)

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
        if self.env == "production" and self.jobs_backend == "sqlite":
            # Several machines' workers and web apps must share one queue: a local file cannot be it.
            raise ValueError("FEEDBACKBOT_JOBS_BACKEND=sqlite is for development; production needs redis")
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
    def trusted_proxy_list(self) -> list[str]:
        """``FEEDBACKBOT_TRUSTED_PROXIES`` as a list of IPs/CIDRs (empty: trust no proxy)."""
        return [e for e in self.trusted_proxies.split(",") if e]

    @property
    def log_dir(self) -> Path:
        """Server logs written by ``feedbackbot run``."""
        return self.var_dir / "log"

    @property
    def jobs_backend(self) -> Literal["sqlite", "redis"]:
        """``FEEDBACKBOT_JOBS_BACKEND``, or SQLite outside production and Redis in production."""
        return self.jobs_backend_choice or ("redis" if self.env == "production" else "sqlite")

    @property
    def jobs_sqlite_path(self) -> Path:
        """The job queue's SQLite file (development)."""
        return self.jobs_sqlite_path_override or self.var_dir / "jobs.sqlite3"

    @property
    def jobs_redis(self) -> str:
        """URL of the job queue's Redis."""
        return self.jobs_redis_url or f"redis://{self.redis_host}:{self.redis_port}/{self.redis_db}"

    @property
    def jobs_queue(self) -> str:
        """The job queue's name: one per database, so processes sharing a database share a queue.

        Derived from a hash of ``DATABASE_URL`` unless set: two stacks on one
        Redis or one SQLite file (tests, several developers) never run each
        other's jobs against the wrong database.
        """
        if self.jobs_queue_override:
            return self.jobs_queue_override
        return "feedbackbot-" + hashlib.sha256(self.database_url.encode()).hexdigest()[:12]

    @property
    def idle_sweep_after(self) -> timedelta:
        """How long a live survey may stay idle before the sweep finishes it."""
        return timedelta(minutes=self.idle_sweep_minutes_override or self.survey_window_minutes + 30)

    @property
    def worker_heartbeat_max_age(self) -> timedelta:
        """Oldest worker heartbeat ``/healthz`` accepts."""
        return timedelta(seconds=self.worker_heartbeat_max_age_s)

    @property
    def rasa_tracker_url(self) -> str | None:
        """SQLAlchemy URL of Rasa's SQL tracker store (PostgreSQL), or None when Rasa keeps trackers in memory."""
        if not self.rasa_tracker_db_host:
            return None
        from sqlalchemy.engine import URL

        return URL.create("postgresql", username=self.rasa_tracker_db_user,
                          password=self.rasa_tracker_db_password or None, host=self.rasa_tracker_db_host,
                          port=self.rasa_tracker_db_port,
                          database=self.rasa_tracker_db_name).render_as_string(hide_password=False)

    @property
    def rasa_models_dir(self) -> Path:
        """Trained Rasa model archives."""
        return self.var_dir / "rasa-models"
