"""Which triggers an incoming event or membership change starts, and which waits an event ends.

``where`` tests use the rule language's comparison semantics (``leadwire.core.rules.comparisons``)
and its dotted-path lookup, so ``{"cart.total": {"gte": 50}}`` means the same in a trigger as in
a segment. Results keep definition order.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Literal, NamedTuple

from leadwire.core.triggers.models import Trigger
from leadwire.core.triggers.timers import match_values

ChangeKind = Literal["enter", "exit"]


class Awaiting(NamedTuple):
    """A trigger whose ``wait.until`` an event satisfies, and the match values it carries.

    A waiting instance with the same trigger, lead and ``match_values`` is the one this event
    cancels (``timers.timer_key`` builds the full key).
    """

    trigger: Trigger
    match_values: tuple[str, ...]


def triggers_for_event(
    triggers: Iterable[Trigger], event_name: str, properties: Mapping[str, Any]
) -> list[Trigger]:
    """Event triggers whose ``on.event`` is ``event_name`` and whose ``on.where`` holds."""
    return [
        trigger
        for trigger in triggers
        if (on := trigger.on_event) is not None and on.accepts(event_name, properties)
    ]


def triggers_for_change(triggers: Iterable[Trigger], segment_id: str, kind: ChangeKind) -> list[Trigger]:
    """``enter`` / ``exit`` triggers on ``segment_id``."""
    return [trigger for trigger in triggers if trigger.kind == kind and trigger.segment_id == segment_id]


def anniversary_triggers(triggers: Iterable[Trigger]) -> list[Trigger]:
    """Triggers that fire on a date trait's anniversary (scheduled, not started by an event)."""
    return [trigger for trigger in triggers if trigger.kind == "anniversary"]


def awaiting(triggers: Iterable[Trigger], event_name: str, properties: Mapping[str, Any]) -> list[Awaiting]:
    """Triggers whose ``wait.until`` event is this one (name and ``where``), with its match values."""
    return [
        Awaiting(trigger, match_values(trigger, properties))
        for trigger in triggers
        if trigger.wait is not None and trigger.wait.until.accepts(event_name, properties)
    ]
