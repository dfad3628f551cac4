"""The demo's priority-caps scene: two marketing emails for one lead in the same minute, under the
default delivery policy (one marketing email per 16 hours, quiet hours 21:00-08:00 in the lead's
zone). A marketer adds both triggers through the admin API; the higher-priority one takes the
slot, the lower-priority one waits for the next open slot and goes out then, once."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

Call = Callable[..., Any]

CHECKIN_EVENT = "trial_checkin"
HIGH_ID = "trial-checkin-tips"
LOW_ID = "trial-checkin-nudge"
# Defined low first: priority, not the order of definition, decides who takes the slot.
CAPS_TRIGGERS: tuple[dict[str, Any], ...] = (
    {
        "id": LOW_ID,
        "name": "Trial check-in nudge",
        "description": "A we-miss-you nudge at the trial's check-in; it can wait.",
        "on": {"event": CHECKIN_EVENT},
        "priority": 20,
        "expires": "P3D",
        "actions": [{"type": "email", "template": "we-miss-you"}],
    },
    {
        "id": HIGH_ID,
        "name": "Trial check-in tips",
        "description": "Getting-started tips at the trial's check-in; they go first.",
        "on": {"event": CHECKIN_EVENT},
        "priority": 80,
        "actions": [{"type": "email", "template": "trial-activation-tips"}],
    },
)
PRIORITY = {str(trigger["id"]): int(trigger["priority"]) for trigger in CAPS_TRIGGERS}
CHECKIN_AT = time(10, 0)  # in the lead's zone: inside the sending day


def caps_lead(call: Call) -> str | None:
    """A trial user who takes marketing email: the first member of Trial Users with email consent
    (not one of the mailbox simulator's bounce or complaint addresses); None in a demo too short
    to have one (``leadwire demo --data`` with a few messages)."""
    for member in call("GET", "/segments/trial-users/members?limit=100")["members"]:
        traits = call("GET", f"/leads/{member['leadId']}")["traits"]
        email = str(traits.get("email") or "")
        if (traits.get("subscriptions") or {}).get("email") is True and email and "+" not in email:
            return str(member["leadId"])
    return None


def add_caps_triggers(call: Call) -> None:
    for trigger in CAPS_TRIGGERS:
        call("POST", "/triggers", trigger)


def next_local(now: datetime, zone: ZoneInfo, at: time) -> datetime:
    """The first instant after ``now`` that reads ``at`` on the wall clock in ``zone``."""
    local = now.astimezone(zone)
    candidate = datetime.combine(local.date(), at, zone)
    return candidate if candidate > local else datetime.combine(local.date() + timedelta(days=1), at, zone)


def _deliveries(call: Call, lead_id: str) -> dict[str, dict[str, Any]]:
    outbox = call("GET", "/_local/outbox")["messages"]
    return {
        m["triggerId"]: m for m in outbox if m["leadId"] == lead_id and m["triggerId"] in (HIGH_ID, LOW_ID)
    }


def _local(instant: str, zone: ZoneInfo) -> str:
    return datetime.fromisoformat(instant).astimezone(zone).strftime("%Y-%m-%d %H:%M")


def caps_scene(call: Call, lead_id: str) -> list[str]:
    """Adds the two triggers, moves the clock to the lead's next 10:00, tracks the check-in, and
    reads the outbox before and after a day passes."""
    add_caps_triggers(call)
    lead = call("GET", f"/leads/{lead_id}")
    zone = ZoneInfo(str(lead["traits"].get("timezone") or "UTC"))
    now = datetime.fromisoformat(call("POST", "/_local/drain")["now"])
    checkin = next_local(now, zone, CHECKIN_AT)
    call("POST", "/_local/clock", {"to": checkin.isoformat()})
    call("POST", "/v1/track", {"userId": lead_id, "event": CHECKIN_EVENT})
    call("POST", "/_local/drain")
    first = _deliveries(call, lead_id)
    high, low = first[HIGH_ID], first[LOW_ID]
    lines = [
        "",
        "Caps that defer by priority (delivery.yaml: 1 marketing email per 16 h, quiet hours 21:00-08:00; "
        "two triggers added with POST /triggers):",
        f"  {_local(checkin.isoformat(), zone)} {zone.key}: {lead_id} checks in ({CHECKIN_EVENT}); "
        "both triggers fire",
        f"    {HIGH_ID} (priority {PRIORITY[HIGH_ID]}): {high['status']} at {_local(high['at'], zone)}",
        f"    {LOW_ID} (priority {PRIORITY[LOW_ID]}): {low['status']}, deferred to the cap's next slot "
        f"{_local(low['until'], zone)} ({low['ahead']} ahead of it in line)",
    ]
    call("POST", "/_local/clock", {"advance": "P1D"})
    later = _deliveries(call, lead_id)[LOW_ID]
    quiet = (
        " (that slot is in quiet hours: it went out when they ended)" if later["at"] > low["until"] else ""
    )
    same = "its first delivery id" if later["deliveryId"] == low["deliveryId"] else "a NEW delivery id"
    lines.append(
        f"  a day later (POST /_local/clock P1D): {LOW_ID} {later['status']} at {_local(later['at'], zone)}"
        f"{quiet}, with {same}"
    )
    return lines
