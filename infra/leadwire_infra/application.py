"""Builds the CDK app from context: used by ``infra/app.py`` (``cdk synth``) and by the tests.

Context keys (``cdk.json`` holds the defaults; override with ``-c key=value``):

- ``writeKeyHashes``: JSON object (or JSON string) mapping SHA-256 hex digests of write keys to
  source names, e.g. ``-c writeKeyHashes='{"<sha256>":"website"}'``; compute a digest with
  ``leadwire.settings.hash_write_key``. Validated at synth by the same rule the ingestion Lambda
  applies at cold start.
- ``apiThrottleRateLimit`` / ``apiThrottleBurstLimit``: requests per second and burst on the
  API's default stage.
- ``configDir``: the config-as-code directory (segments, scoring, triggers) bundled into the
  functions, relative to the repository root unless absolute; default ``config/default``.
  Validated at synth: a bad definition stops synth with its file and path.
- ``leadwire:emailFrom``: the sender of email actions, ``Name <user@domain>`` or ``user@domain``;
  its domain must be a verified SES identity in the account. The actions may send only as that
  identity. Default ``Leadwire <hello@leadwire.example>`` (synth warns).
- ``leadwire:alarmEmail``: the default of the ``AlarmEmail`` stack parameter, the address that
  receives alarm notifications (``cdk deploy --parameters AlarmEmail=...`` overrides it). Default: none.
- ``leadwire:powertoolsLayerArn``: the Powertools layer to use instead of the public one in the
  commercial partition (China and GovCloud publish it from other accounts).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from email.utils import parseaddr
from pathlib import Path
from typing import Any, Final

from aws_cdk import App, Stack, Validations
from cdk_nag import AwsSolutionsChecks

from leadwire.settings import AdminSettings, IngestionSettings, SettingsError
from leadwire_infra.config_bundle import load_bundled_config
from leadwire_infra.operations_construct import EMAIL_PATTERN
from leadwire_infra.stack import LeadwireStack

STACK_NAME: Final = "Leadwire"
REPO_ROOT: Final = Path(__file__).resolve().parents[2]
CDK_JSON: Final = REPO_ROOT / "cdk.json"

# A digest no one knows a key for: a stack deployed without ``writeKeyHashes`` rejects every
# write key (fails closed) instead of accepting a dummy key that is printed in this repository.
PLACEHOLDER_WRITE_KEY_HASHES: Final = {"0" * 64: "placeholder"}

DEFAULT_THROTTLE_RATE_LIMIT: Final = 1000
DEFAULT_THROTTLE_BURST_LIMIT: Final = 2000
DEFAULT_CONFIG_DIR: Final = "config/default"
EMAIL_FROM_CONTEXT: Final = "leadwire:emailFrom"
ALARM_EMAIL_CONTEXT: Final = "leadwire:alarmEmail"
POWERTOOLS_LAYER_CONTEXT: Final = "leadwire:powertoolsLayerArn"
DEFAULT_EMAIL_FROM: Final = "Leadwire <hello@leadwire.example>"
# Safe definition changes (admin/change_guard.py): context key -> the admin function's variable.
CHANGE_GUARD_CONTEXT: Final = {
    "leadwire:confirmFlipShare": "CONFIRM_FLIP_SHARE",
    "leadwire:confirmMinFlips": "CONFIRM_MIN_FLIPS",
}


class ContextError(ValueError):
    """A context value is malformed; synth stops before anything is written."""


def write_key_hashes_from_context(value: object) -> dict[str, str]:
    """Parse and validate ``writeKeyHashes`` (a JSON string from ``-c``, or an object from cdk.json)."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as exc:
            raise ContextError(f"writeKeyHashes is not valid JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise ContextError("writeKeyHashes must be a JSON object of sha256 hex digest -> source name")
    try:
        settings = IngestionSettings.from_env(
            {"TABLE_NAME": "synth-check", "WRITE_KEY_HASHES": json.dumps(value)}
        )
    except SettingsError as exc:
        raise ContextError(f"writeKeyHashes: {exc}") from exc
    return settings.write_key_hashes


def _int_context(app: App, key: str, default: int) -> int:
    value = app.node.try_get_context(key)
    if value is None:
        return default
    try:
        number = int(str(value))  # "1000" from -c, 1000 from cdk.json; never 1.5 or True
    except (TypeError, ValueError) as exc:
        raise ContextError(f"{key} must be an integer, got {value!r}") from exc
    if number <= 0:
        raise ContextError(f"{key} must be positive, got {number}")
    return number


def change_guard_from_context(app: App) -> dict[str, str]:
    """The admin function's ``CONFIRM_FLIP_SHARE`` and ``CONFIRM_MIN_FLIPS``: the context's values
    (``-c leadwire:confirmFlipShare=0.1``), else the settings' defaults, checked by the settings."""
    given = {
        variable: str(app.node.try_get_context(key))
        for key, variable in CHANGE_GUARD_CONTEXT.items()
        if app.node.try_get_context(key) is not None
    }
    try:
        settings = AdminSettings.from_env(
            {"TABLE_NAME": "synth-check", "CONFIG_PATH": "synth-check", **given}
        )
    except SettingsError as exc:
        keys = ", ".join(CHANGE_GUARD_CONTEXT)
        raise ContextError(f"{keys}: a share from 0 to 1 and a positive whole number ({exc})") from exc
    return {
        "CONFIRM_FLIP_SHARE": str(settings.confirm_flip_share),
        "CONFIRM_MIN_FLIPS": str(settings.confirm_min_flips),
    }


def config_dir_from_context(value: object) -> Path:
    """``configDir`` as a path: relative paths are relative to the repository root, not the cwd."""
    if value is None:
        value = DEFAULT_CONFIG_DIR
    if not isinstance(value, str) or not value.strip():
        raise ContextError(f"configDir must be a directory path, got {value!r}")
    path = Path(value)
    return path if path.is_absolute() else REPO_ROOT / path


def email_from_from_context(value: object) -> str:
    """``leadwire:emailFrom`` checked: one address with a dotted domain (SES sends as that domain)."""
    if not isinstance(value, str) or not value.strip():
        raise ContextError(f"{EMAIL_FROM_CONTEXT} must be an email address, got {value!r}")
    address = parseaddr(value)[1]
    local, at, domain = address.rpartition("@")
    if not (local and at and "." in domain) or any(c in value for c in ",;") or " " in address:
        raise ContextError(
            f"{EMAIL_FROM_CONTEXT} must be 'Name <user@domain>' or 'user@domain', got {value!r}"
        )
    return value.strip()


def _optional_text(app: App, key: str) -> str | None:
    value = app.node.try_get_context(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ContextError(f"{key} must be a non-empty string, got {value!r}")
    return value.strip()


def alarm_email_from_context(value: str | None) -> str:
    if value is None:
        return ""
    if not re.fullmatch(EMAIL_PATTERN, value):  # the parameter's own pattern, checked before deploy
        raise ContextError(f"{ALARM_EMAIL_CONTEXT} must be one address like ops@your.domain, got {value!r}")
    return value


def cdk_json_context() -> dict[str, Any]:
    """The ``context`` block of cdk.json: what the CDK CLI passes to the app (feature flags included)."""
    context: dict[str, Any] = json.loads(CDK_JSON.read_text(encoding="utf-8")).get("context", {})
    return context


def build_app(context: Mapping[str, Any] | None = None, *, outdir: str | None = None) -> App:
    """The app with the Leadwire stack and the cdk-nag AwsSolutions checks registered.

    Every finding is either fixed or acknowledged with a reason next to the construct it concerns;
    an unacknowledged finding fails synthesis. Raises ``ContextError`` or ``ConfigBundleError``
    before any construct exists when the context or the config directory is invalid.
    """
    app = App(context=dict(context) if context is not None else None, outdir=outdir)
    raw_hashes = app.node.try_get_context("writeKeyHashes")
    hashes = PLACEHOLDER_WRITE_KEY_HASHES if raw_hashes is None else write_key_hashes_from_context(raw_hashes)
    raw_email_from = app.node.try_get_context(EMAIL_FROM_CONTEXT)
    email_from = DEFAULT_EMAIL_FROM if raw_email_from is None else email_from_from_context(raw_email_from)
    bundled_config = load_bundled_config(config_dir_from_context(app.node.try_get_context("configDir")))
    stack = LeadwireStack(
        app,
        STACK_NAME,
        description="Leadwire: real-time lead segmentation and trigger marketing",
        write_key_hashes=hashes,
        bundled_config=bundled_config,
        throttle_rate_limit=_int_context(app, "apiThrottleRateLimit", DEFAULT_THROTTLE_RATE_LIMIT),
        throttle_burst_limit=_int_context(app, "apiThrottleBurstLimit", DEFAULT_THROTTLE_BURST_LIMIT),
        email_from=email_from,
        alarm_email=alarm_email_from_context(_optional_text(app, ALARM_EMAIL_CONTEXT)),
        powertools_layer_arn=_optional_text(app, POWERTOOLS_LAYER_CONTEXT),
        admin_environment=change_guard_from_context(app),
    )
    if raw_email_from is None:
        Validations.of(stack).add_warning(
            "leadwire:PlaceholderEmailFrom",
            f"{EMAIL_FROM_CONTEXT} is not set: email actions send as {DEFAULT_EMAIL_FROM}, which SES "
            "refuses unless that domain is verified. Deploy with "
            f"-c {EMAIL_FROM_CONTEXT}='You <you@your.domain>'.",
        )
    if raw_hashes is None:
        Validations.of(stack).add_warning(
            "leadwire:PlaceholderWriteKeys",
            "writeKeyHashes is not set: ingestion will reject every write key. Deploy with "
            '-c writeKeyHashes=\'{"<sha256 of your write key>":"website"}\'.',
        )
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return app


def leadwire_stack(app: App) -> Stack:
    stack = app.node.find_child(STACK_NAME)
    assert isinstance(stack, Stack)
    return stack
