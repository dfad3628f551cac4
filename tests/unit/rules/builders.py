"""Small builders so each test reads as Given / When / Then."""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from leadwire.core.rules import Definitions, LeadEvent, LeadState, apply_events, evaluate, parse_definitions

T0 = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)  # a Monday, noon UTC
LEAD_ID = "lead-1"
_message_ids = itertools.count()


def at(**delta: float) -> datetime:
    return T0 + timedelta(**delta)


def _message_id(message_id: str | None) -> str:
    return message_id or f"msg-{next(_message_ids)}"


def track(name: str, when: datetime = T0, message_id: str | None = None, **properties: Any) -> LeadEvent:
    return LeadEvent(
        message_id=_message_id(message_id), type="track", event=name, timestamp=when, properties=properties
    )


def page(path: str = "/", when: datetime = T0, message_id: str | None = None) -> LeadEvent:
    return LeadEvent(
        message_id=_message_id(message_id), type="page", timestamp=when, properties={"path": path}
    )


def screen(name: str = "Home", when: datetime = T0) -> LeadEvent:
    return LeadEvent(message_id=_message_id(None), type="screen", timestamp=when, properties={"name": name})


def identify(when: datetime = T0, message_id: str | None = None, **traits: Any) -> LeadEvent:
    return LeadEvent(message_id=_message_id(message_id), type="identify", timestamp=when, traits=traits)


def group(when: datetime = T0, **traits: Any) -> LeadEvent:
    return LeadEvent(message_id=_message_id(None), type="group", timestamp=when, traits=traits)


def segment(condition: dict[str, Any], segment_id: str = "seg", **extra: Any) -> dict[str, Any]:
    return {"id": segment_id, "name": segment_id.title(), "condition": condition, **extra}


def definitions(*segments: dict[str, Any], scoring: dict[str, Any] | None = None) -> Definitions:
    return parse_definitions({"segments": list(segments), "scoring": scoring or {}})


def one_segment(condition: dict[str, Any], scoring: dict[str, Any] | None = None) -> Definitions:
    return definitions(segment(condition), scoring=scoring)


def lead(events: Iterable[LeadEvent], defs: Definitions, state: LeadState | None = None) -> LeadState:
    return apply_events(state or LeadState.new(LEAD_ID), list(events), defs)


def is_member(
    condition: dict[str, Any],
    events: Iterable[LeadEvent],
    now: datetime,
    scoring: dict[str, Any] | None = None,
) -> bool:
    defs = one_segment(condition, scoring)
    return "seg" in evaluate(lead(events, defs), defs, now).segments


def settle(state: LeadState, defs: Definitions, now: datetime) -> LeadState:
    """Evaluate at ``now`` and store the memberships, as the segmentation handler does."""
    return state.with_memberships(evaluate(state, defs, now).memberships)
