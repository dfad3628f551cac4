"""Settings read from the environment once, at cold start, and validated.

Handlers call ``IngestionSettings.from_env()`` at import; the core receives plain values.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from functools import cache

from pydantic import BaseModel, Field, ValidationError, field_validator


class SettingsError(RuntimeError):
    """A required environment variable is missing or malformed (fails the cold start loudly)."""


def hash_write_key(write_key: str) -> str:
    """Write keys are stored and compared only as SHA-256 hex digests."""
    return hashlib.sha256(write_key.encode("utf-8")).hexdigest()


class TableSettings(BaseModel):
    table_name: str = Field(min_length=3, max_length=255)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> TableSettings:
        env = os.environ if env is None else env
        try:
            return cls(table_name=env.get("TABLE_NAME", ""))
        except ValidationError as exc:
            raise SettingsError(f"invalid settings: {exc}") from exc


class IngestionSettings(TableSettings):
    # sha256(write key) -> source name; several sources, each with its own key.
    write_key_hashes: dict[str, str] = Field(min_length=1)
    write_attempts: int = Field(default=6, ge=1, le=12)
    # The unsubscribe links' signing secret, a secret reference; without it /v1/unsubscribe is off.
    unsubscribe_secret_ref: str | None = None

    @field_validator("write_key_hashes")
    @classmethod
    def _digests(cls, value: dict[str, str]) -> dict[str, str]:
        for digest in value:
            if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
                raise ValueError("keys must be lowercase SHA-256 hex digests of write keys")
        return value

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> IngestionSettings:
        env = os.environ if env is None else env
        try:
            return cls(
                table_name=env.get("TABLE_NAME", ""),
                write_key_hashes=json.loads(env.get("WRITE_KEY_HASHES", "{}")),
                write_attempts=int(env.get("WRITE_ATTEMPTS", "6")),
                unsubscribe_secret_ref=env.get("UNSUBSCRIBE_SECRET_REF") or None,
            )
        except (ValidationError, ValueError) as exc:
            raise SettingsError(f"invalid ingestion settings: {exc}") from exc


class EngineSettings(TableSettings):
    """What the functions that read definitions share (segmentation, re-evaluation, admin)."""

    config_path: str = Field(min_length=1)
    definitions_cache_seconds: float = Field(default=30.0, ge=0)
    state_machine_arn: str | None = None  # the timer state machine (trigger consumer only)
    # A stream consumer's own failure queue: where it sends a poison record (stream_poison.py).
    stream_failure_queue_url: str | None = None
    # HubSpot's API root: its public host in AWS; a stand-in on loopback in tests and leadwire local.
    hubspot_api_url: str = Field(default="https://api.hubapi.com", pattern=r"^https?://[^\s/]+")
    # The stack's event bus (the reactions function's: spike alerts and the actions' events).
    event_bus_name: str | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> EngineSettings:
        env = os.environ if env is None else env
        try:
            return cls(
                table_name=env.get("TABLE_NAME", ""),
                config_path=env.get("CONFIG_PATH", ""),
                definitions_cache_seconds=float(env.get("DEFINITIONS_CACHE_SECONDS", "30")),
                state_machine_arn=env.get("STATE_MACHINE_ARN") or None,
                stream_failure_queue_url=env.get("STREAM_FAILURE_QUEUE_URL") or None,
                hubspot_api_url=env.get("HUBSPOT_API_URL") or "https://api.hubapi.com",
                event_bus_name=env.get("EVENT_BUS_NAME") or None,
            )
        except (ValidationError, ValueError) as exc:
            raise SettingsError(f"invalid settings: {exc}") from exc


class AdminSettings(EngineSettings):
    reevaluate_function_name: str | None = None
    in_lambda: bool = False  # AWS_LAMBDA_FUNCTION_NAME is set: no in-process job queue can run
    # The secret references the actions function may read (the stack sets them from the bundled
    # config); unset in leadwire local, where any reference resolves.
    granted_references: frozenset[str] | None = None
    # A segment change flipping more than this share of leads (and at least confirm_min_flips of
    # them) waits for ?confirm=true (admin/change_guard.py).
    confirm_flip_share: float = Field(default=0.2, ge=0, le=1)
    confirm_min_flips: int = Field(default=50, ge=1)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> AdminSettings:
        env = os.environ if env is None else env
        base = EngineSettings.from_env(env)
        granted = env.get("GRANTED_SECRET_REFERENCES")
        try:
            references = None if granted is None else frozenset(json.loads(granted))
        except (ValueError, TypeError) as exc:
            raise SettingsError(f"GRANTED_SECRET_REFERENCES is not a JSON list: {exc}") from exc
        try:
            return cls(
                **base.model_dump(),
                reevaluate_function_name=env.get("REEVALUATE_FUNCTION_NAME") or None,
                in_lambda=bool(env.get("AWS_LAMBDA_FUNCTION_NAME")),
                granted_references=references,
                confirm_flip_share=float(env.get("CONFIRM_FLIP_SHARE", "0.2")),
                confirm_min_flips=int(env.get("CONFIRM_MIN_FLIPS", "50")),
            )
        except (ValidationError, ValueError) as exc:
            raise SettingsError(f"invalid admin settings: {exc}") from exc


class ActionsSettings(BaseModel):
    """What the actions read besides the engine's: where mail comes from and its configuration
    sets, the unsubscribe links' base URL and signing secret, and whether webhooks may call this
    machine (``leadwire local`` only)."""

    email_from: str | None = None  # the stack's verified sender; else the config's
    ses_configuration_set: str | None = None
    sms_configuration_set: str | None = None  # the stack's, whose delivery events come back
    public_api_url: str | None = None  # the unsubscribe links' base (the public ingestion URL)
    unsubscribe_secret_ref: str | None = None  # a secret reference (core/secret_reference.py)
    allow_loopback_webhooks: bool = False

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ActionsSettings:
        env = os.environ if env is None else env
        try:
            return cls(
                email_from=env.get("EMAIL_FROM") or None,
                ses_configuration_set=env.get("SES_CONFIGURATION_SET") or None,
                sms_configuration_set=env.get("SMS_CONFIGURATION_SET") or None,
                public_api_url=env.get("PUBLIC_API_URL") or None,
                unsubscribe_secret_ref=env.get("UNSUBSCRIBE_SECRET_REF") or None,
                allow_loopback_webhooks=env.get("ALLOW_LOOPBACK_WEBHOOKS", "").lower() == "true",
            )
        except (ValidationError, ValueError) as exc:
            raise SettingsError(f"invalid actions settings: {exc}") from exc


@cache
def table_settings() -> TableSettings:
    return TableSettings.from_env()


@cache
def ingestion_settings() -> IngestionSettings:
    return IngestionSettings.from_env()


@cache
def engine_settings() -> EngineSettings:
    return EngineSettings.from_env()


@cache
def admin_settings() -> AdminSettings:
    return AdminSettings.from_env()


@cache
def actions_settings() -> ActionsSettings:
    return ActionsSettings.from_env()


def reset_settings() -> None:
    """Read the environment again on next use (``leadwire local`` sets it when a runtime starts)."""
    for settings in (table_settings, ingestion_settings, engine_settings, admin_settings, actions_settings):
        settings.cache_clear()
