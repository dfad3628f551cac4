"""Webhook secrets checked when a config is loaded: a secret no receiver can verify is refused
before the first delivery, not found out by a dead-letter queue.

Only values at hand are checked (``env:NAME`` with the variable set): an SSM parameter or a
Secrets Manager secret is read at send time, where an unusable value rejects the delivery
(``SecretError``) instead of retrying it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from leadwire.actions.webhooks import WebhookSecretInvalid, secret_bytes

ENV_PREFIX = "env:"


def _webhook_secrets(document: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """(path, reference) of every webhook action's ``secret`` in a raw config document."""
    triggers = document.get("triggers")
    for index, trigger in enumerate(triggers if isinstance(triggers, list) else []):
        actions = trigger.get("actions") if isinstance(trigger, dict) else None
        name = trigger.get("id") if isinstance(trigger, dict) else None
        for position, action in enumerate(actions if isinstance(actions, list) else []):
            if isinstance(action, dict) and action.get("type") == "webhook":
                secret = action.get("secret")
                if isinstance(secret, str):
                    yield f"triggers[{index}] ({name}).actions[{position}].secret", secret


def unusable_webhook_secrets(document: Mapping[str, Any], env: Mapping[str, str]) -> list[str]:
    """One line per webhook secret whose value is at hand and not a Standard Webhooks secret."""
    problems = []
    for path, reference in _webhook_secrets(document):
        if not reference.startswith(ENV_PREFIX):
            continue
        value = env.get(reference[len(ENV_PREFIX) :])
        if value is None:
            continue
        try:
            secret_bytes(value)
        except WebhookSecretInvalid as exc:
            problems.append(f"{path}: {reference}: {exc}")
    return problems
