"""A/B results of a trigger: per variant (and the holdout) fires, sends, opens, clicks, and the
leads that performed a goal event within a window after their first fire, with lift against the
holdout. Pure: the adapter passes the trigger's deliveries in the period and the fired leads'
events.

Arms are read from the delivery log: a held-out fire leaves one ``held_out`` delivery, a variant's
deliveries carry its name (``default`` for a trigger without variants). A lead counts once per arm,
from its first fire in the period; it converts if it performed the goal event at or after that fire
and within the window. Opens and clicks are the arm's email deliveries that SES engagement events
(``email_opened``, ``email_clicked``, which carry ``delivery_id``) name.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from leadwire.core.instants import parse_iso
from leadwire.core.tracking import StoredEvent

HOLDOUT = "holdout"
DEFAULT_VARIANT = "default"
OPENED, CLICKED = "email_opened", "email_clicked"


@dataclass
class ArmResult:
    name: str
    fires: int = 0
    leads: int = 0
    sends: dict[str, int] = field(default_factory=dict)  # by channel: deliveries with status sent
    not_sent: dict[str, int] = field(default_factory=dict)  # by status: capped, suppressed, ...
    opens: int = 0
    clicks: int = 0
    conversions: int = 0
    conversion_rate: float | None = None
    lift: float | None = None  # conversion rate minus the holdout's, in percentage points


@dataclass
class _Arm:
    fires: set[str] = field(default_factory=set)
    first_fire: dict[str, datetime] = field(default_factory=dict)
    emails: set[str] = field(default_factory=set)
    sends: dict[str, int] = field(default_factory=dict)
    not_sent: dict[str, int] = field(default_factory=dict)


def arm_of(delivery: Mapping[str, object]) -> str:
    if delivery.get("status") == "held_out":
        return HOLDOUT
    return str(delivery.get("variant") or DEFAULT_VARIANT)


def fired_leads(deliveries: Iterable[Mapping[str, object]]) -> set[str]:
    return {str(d["leadId"]) for d in deliveries}


def trigger_results(
    deliveries: Iterable[Mapping[str, object]],
    events_of: Mapping[str, list[StoredEvent]],
    goal: str,
    within: timedelta,
) -> list[ArmResult]:
    """Results per arm, variants by name then the holdout."""
    arms: dict[str, _Arm] = {}
    for delivery in deliveries:
        arm = arms.setdefault(arm_of(delivery), _Arm())
        lead, fired = str(delivery["leadId"]), parse_iso(str(delivery["firedAt"]))
        arm.fires.add(str(delivery["fireId"]))
        if lead not in arm.first_fire or fired < arm.first_fire[lead]:
            arm.first_fire[lead] = fired
        status, channel = str(delivery["status"]), str(delivery["channel"])
        if status == "held_out":
            continue
        if status == "sent":
            arm.sends[channel] = arm.sends.get(channel, 0) + 1
            if channel == "email":
                arm.emails.add(str(delivery["deliveryId"]))
        else:
            arm.not_sent[status] = arm.not_sent.get(status, 0) + 1
    results = [_result(name, arm, events_of, goal, within) for name, arm in arms.items()]
    results.sort(key=lambda r: (r.name == HOLDOUT, r.name))
    holdout = next((r for r in results if r.name == HOLDOUT), None)
    for result in results:
        if (
            holdout is not None
            and result is not holdout
            and None not in (result.conversion_rate, holdout.conversion_rate)
        ):
            result.lift = round((result.conversion_rate - holdout.conversion_rate) * 100, 2)  # type: ignore[operator]
    return results


def _result(
    name: str, arm: _Arm, events_of: Mapping[str, list[StoredEvent]], goal: str, within: timedelta
) -> ArmResult:
    opened: set[str] = set()
    clicked: set[str] = set()
    converted = 0
    for lead, first in arm.first_fire.items():
        events = events_of.get(lead, [])
        if any(e.event == goal and first <= e.timestamp <= first + within for e in events):
            converted += 1
        for event in events:
            delivery = event.properties.get("delivery_id")
            if delivery in arm.emails:
                if event.event == OPENED:
                    opened.add(str(delivery))
                elif event.event == CLICKED:
                    clicked.add(str(delivery))
    leads = len(arm.first_fire)
    return ArmResult(
        name=name,
        fires=len(arm.fires),
        leads=leads,
        sends=dict(sorted(arm.sends.items())),
        not_sent=dict(sorted(arm.not_sent.items())),
        opens=len(opened),
        clicks=len(clicked),
        conversions=converted,
        conversion_rate=round(converted / leads, 4) if leads else None,
    )
