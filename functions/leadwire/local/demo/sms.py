"""The demo's SMS scene: one lead asks to be called back, quiet hours hold the text until the
morning in the lead's zone, End User Messaging reports it delivered, and a STOP reply ends texts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

PHONE = "+14155550123"
TRIGGER = "callback-text"

Call = Callable[..., Any]


def _deliveries(call: Call, lead_id: str) -> list[dict[str, Any]]:
    outbox = call("GET", "/_local/outbox")["messages"]
    return [m for m in outbox if m["leadId"] == lead_id and m["triggerId"] == TRIGGER]


def _ask(call: Call, lead_id: str) -> str:
    call("POST", "/v1/track", {"userId": lead_id, "event": "callback_requested"})
    return str(call("POST", "/_local/drain")["now"])[:16]


def text_scene(call: Call, lead_id: str) -> list[str]:
    lines = ["", f"SMS (the {TRIGGER} trigger; End User Messaging simulated, GET /_local/sms):"]
    lead = call("GET", f"/leads/{lead_id}")
    subscriptions = {**(lead["traits"].get("subscriptions") or {}), "sms": True}
    call(
        "POST",
        "/v1/identify",
        {"userId": lead_id, "traits": {"phone": PHONE, "subscriptions": subscriptions}},
    )
    asked = _ask(call, lead_id)
    zone = lead["traits"].get("timezone", "UTC")
    (first,) = _deliveries(call, lead_id)
    lines.append(
        f"  {asked} {lead_id} ({zone}) gives {PHONE} and SMS consent, asks for a callback: {first['status']}"
    )
    if first["status"] == "deferred":
        call("POST", "/_local/clock", {"advance": "PT12H"})
    texts = [t for t in call("GET", "/_local/sms")["messages"] if t["DestinationPhoneNumber"] == PHONE]
    for text in texts:
        lines.append(f'  {text["at"][:16]} texted: "{text["MessageBody"][:72]}..."')
    events = call("GET", f"/leads/{lead_id}/events?limit=1000")["events"]
    delivered = [e for e in events if e["event"] == "sms_delivered"]
    if delivered:
        lines.append(
            f"  {delivered[0]['timestamp'][:16]} delivery event back as sms_delivered (the feedback function)"
        )
    replied = call("POST", "/_local/sms-inbound", {"from": PHONE, "body": "STOP"})
    call("POST", "/_local/clock", {"advance": "P1D"})
    again = _ask(call, lead_id)
    last = _deliveries(call, lead_id)[-1]
    because = f"{last['status']} ({last.get('reason')})"
    lines.append(f"  the number replies STOP ({', '.join(replied)}); {again} asks again: {because}")
    return lines
