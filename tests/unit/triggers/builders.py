"""Small builders so each trigger test reads as Given / When / Then."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from leadwire.core.triggers import Trigger, parse_triggers

T0 = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)  # a Monday, noon UTC
SEGMENTS = frozenset({"hot-leads", "trial-users", "vips"})
EMAIL = {"type": "email", "template": "cart-reminder"}


def at(**delta: float) -> datetime:
    return T0 + timedelta(**delta)


def raw_trigger(trigger_id: str = "t", **fields: Any) -> dict[str, Any]:
    """A valid event trigger; ``fields`` replace or add keys (``None`` removes one)."""
    raw: dict[str, Any] = {"id": trigger_id, "on": {"event": "signed_up"}, "actions": [EMAIL]}
    for key, value in fields.items():
        if value is None:
            raw.pop(key, None)
        else:
            raw[key] = value
    return raw


def trigger(trigger_id: str = "t", **fields: Any) -> Trigger:
    return parse_triggers([raw_trigger(trigger_id, **fields)], SEGMENTS)[0]


def cart_abandonment(**fields: Any) -> Trigger:
    """The DESIGN.md example."""
    example: dict[str, Any] = {
        "on": {"event": "cart_added"},
        "wait": {"until": {"event": "purchase", "match": ["cart_id"]}, "timeout": "PT1H"},
        "actions": [{"type": "emit_event", "event": "cart_abandoned"}, EMAIL],
    }
    return trigger("cart-abandonment", **{**example, **fields})
