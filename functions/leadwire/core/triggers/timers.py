"""Keys, names and instants for waiting and delayed trigger instances.

A waiting instance is keyed by (trigger, lead, values of the ``wait.until.match`` properties).
Match values are text, so the key is the same whichever way a client spelled the value:

* a missing property (absent key, or JSON null) is the empty string ``""``, so an event without
  ``cart_id`` and one with ``cart_id: ""`` share a key;
* numbers are written without a trailing ``.0`` (``5`` and ``5.0`` agree, and ``5`` agrees with
  ``"5"``), booleans as ``true``/``false``, objects and lists as canonical JSON;
* strings are kept verbatim: ``"007"`` and ``7`` are different carts.

A trigger without ``wait`` has no match properties: its key is (trigger, lead, ()), one pending
instance per lead.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from leadwire.core.rules.canonical import canonical_json
from leadwire.core.rules.clock import require_aware
from leadwire.core.rules.lookup import MISSING, lookup
from leadwire.core.triggers.models import Trigger

EXECUTION_NAME_MAX: Final = 80
EXECUTION_DIGEST_LENGTH: Final = 32  # 128 bits of SHA-256: collisions are not a practical concern
_PREFIX_MAX: Final = EXECUTION_NAME_MAX - EXECUTION_DIGEST_LENGTH - 1
_NOT_NAME_CHARACTER = re.compile(r"[^A-Za-z0-9_-]")


@dataclass(frozen=True, slots=True)
class TimerKey:
    trigger_id: str
    lead_id: str
    match_values: tuple[str, ...]

    @property
    def match_key(self) -> str:
        """The match values as one short stable token (the timer item's sort key suffix)."""
        return _digest(list(self.match_values), 20)


@dataclass(frozen=True, slots=True)
class Overtaken:
    """A waiting instance whose deadline had passed, in event time, when a new start of the same
    key came in, though its wake-up had not run yet (events posted ahead of the clock, a backfill).
    The new start took the item; the overtaken instance must still fire at its own deadline."""

    started_at: datetime
    deadline: datetime
    cause: str
    execution: str | None = None  # its wake-up, which now finds the item taken: nothing to wait for


@dataclass(frozen=True, slots=True)
class Claimed:
    """The caller owns the instance and schedules its wake-up (and the overtaken one's, if any)."""

    overtaken: Overtaken | None = None


@dataclass(frozen=True, slots=True)
class Satisfied:
    """The awaited event came in time: the instance will not fire. ``execution``: the wake-up that
    was scheduled for it (None if none was yet), which may be stopped (it would only find the
    timer satisfied, at two state transitions more)."""

    execution: str | None = None


# Marks an overtaken instance's own key: no property value can hold it (text has no NUL here).
_OVERTAKEN: Final = "\x00overtaken"


def overtaken_key(key: TimerKey, cause: str) -> TimerKey:
    """The key an overtaken instance (started by ``cause``) waits under once a new start took its
    item: its own, so the new instance and it each fire (or not) on their own."""
    return TimerKey(key.trigger_id, key.lead_id, (*key.match_values, _OVERTAKEN, cause))


def _digest(value: Any, length: int) -> str:
    return hashlib.sha256(canonical_json(value).encode("utf-8")).hexdigest()[:length]


def _text(value: Any) -> str:
    if value is MISSING or value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return value
    return canonical_json(value)


def match_values(trigger: Trigger, properties: Mapping[str, Any]) -> tuple[str, ...]:
    """The values of the trigger's ``wait.until.match`` properties in ``properties``, as text."""
    paths = trigger.wait.until.match if trigger.wait is not None else []
    return tuple(_text(lookup(properties, path)) for path in paths)


def timer_key(trigger: Trigger, lead_id: str, properties: Mapping[str, Any]) -> TimerKey:
    """The key of the instance that an ``on`` event (or an awaited event) with ``properties`` belongs to."""
    return TimerKey(trigger.id, lead_id, match_values(trigger, properties))


def execution_name(key: TimerKey, occurrence: str | None = None) -> str:
    """A Step Functions execution name for ``key``: deterministic, 1-80 characters of [A-Za-z0-9_-].

    ``<trigger id, sanitised and cut to 47>-<32 hex digits of SHA-256 over every part>``. The lead id
    and match values are only hashed, never spelled out: execution names show in the console and
    in logs, and lead ids can be e-mail addresses.

    Step Functions keeps a name taken for 90 days after its execution ends, so the same key cannot
    start a second execution within that time. Pass ``occurrence`` (the id of the event that
    started the instance) when a key may wait again after its first wait ended; a retry of the
    same start still maps to the same name.
    """
    parts: list[Any] = [key.trigger_id, key.lead_id, list(key.match_values)]
    if occurrence is not None:
        parts.append(occurrence)
    digest = _digest(parts, EXECUTION_DIGEST_LENGTH)
    prefix = _NOT_NAME_CHARACTER.sub("_", key.trigger_id)[:_PREFIX_MAX]
    return f"{prefix}-{digest}" if prefix else digest


def deadline(trigger: Trigger, event_time: datetime) -> datetime:
    """When the instance started at ``event_time`` is due, in UTC: ``+ wait.timeout`` or ``+ delay``.

    A trigger with neither is due at once (``event_time``).
    """
    require_aware(event_time)
    pause = trigger.wait.timeout if trigger.wait is not None else trigger.delay or timedelta(0)
    return (event_time + pause).astimezone(UTC)


def horizon_allows(trigger: Trigger, event_time: datetime, now: datetime) -> bool:
    """Whether an event at ``event_time`` may still send, seen at ``now``.

    Events older than the trigger's ``horizon`` (historical imports, replays) build state but send
    nothing. Exactly ``horizon`` old still sends; events from the future (client clock skew) send.
    """
    return require_aware(now) - require_aware(event_time) <= trigger.horizon


def reentry_allows(trigger: Trigger, previous_start: datetime | None, at: datetime) -> bool:
    """Whether the trigger may start again for a lead at ``at``, having last started at ``previous_start``.

    ``once``: never again. ``{"once_per": D}``: at least ``D`` after the previous start.
    ``every_time`` and the per-membership default of ``enter``/``exit`` triggers: always (each
    membership interval is one change, so its idempotency key already makes it fire once).
    """
    require_aware(at)
    if previous_start is None:
        return True
    policy = trigger.reentry_policy
    if policy == "once":
        return False
    if isinstance(policy, str):
        return True
    return at - require_aware(previous_start) >= policy.once_per
