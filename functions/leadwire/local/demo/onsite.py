"""The demo's on-site chapter: a marketer adds the seed's "Come Back" pop-up for cart abandoners
through the admin API before the replay, and afterwards one abandoner's next page view is played
as leadwire.js plays it: ``GET /v1/messages``, then ``onsite_shown`` and ``onsite_clicked`` as
``/v1/track`` calls, and ``GET /v1/messages`` again, now empty."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

Call = Callable[..., Any]

COME_BACK_ID = "come-back-popup"
COME_BACK: dict[str, Any] = {
    "id": COME_BACK_ID,
    "name": "Come back pop-up",
    "description": "A cart abandoner sees a come-back pop-up on the next page views for a month.",
    "on": {"event": "cart_abandoned"},
    "actions": [
        {
            "type": "onsite",
            "message": {
                "title": "Still thinking it over?",
                "body": "Your cart is saved. Come back today and take 10% off.",
                "cta": {"label": "Back to my cart", "url": "/cart"},
            },
            "ttl": "P30D",
        }
    ],
}


def add_come_back(call: Call) -> None:
    call("POST", "/triggers", COME_BACK)


def _messages(call: Call, lead_id: str) -> list[dict[str, Any]]:
    return list(call("GET", "/v1/messages?" + urlencode({"userId": lead_id}))["messages"])


def _track(call: Call, lead_id: str, event: str, message_id: str) -> None:
    """As leadwire.js sends it: no timestamp, the API stamps the arrival."""
    call("POST", "/v1/track", {"userId": lead_id, "event": event, "properties": {"message_id": message_id}})


def _onsite_events(call: Call, lead_id: str) -> list[str]:
    """The lead's ``onsite_*`` events by name (every page of ``GET /leads/{id}/events``; two
    tracked in the same instant have no order between them)."""
    names: list[str] = []
    query: dict[str, str] = {"limit": "500"}
    while True:
        page = call("GET", f"/leads/{lead_id}/events?" + urlencode(query))
        names += [str(e["event"]) for e in page["events"] if str(e.get("event") or "").startswith("onsite_")]
        if not page["cursor"]:
            return sorted(names)
        query["cursor"] = page["cursor"]


def report_onsite(call: Call) -> list[str]:
    """What the pop-up trigger stored, and one abandoner's next page view (the newest pop-up sent
    that is still unexpired)."""
    outbox = call("GET", "/_local/outbox")["messages"]
    sent = [m for m in outbox if m["triggerId"] == COME_BACK_ID and m["status"] == "sent"]
    lines = [f"\nOn-site messages ({COME_BACK_ID}, added with POST /triggers): {len(sent)} pop-ups stored"]
    for delivery in reversed(sent):
        lead_id = str(delivery["leadId"])
        shown = _messages(call, lead_id)
        if not shown:
            continue
        message = shown[0]
        _track(call, lead_id, "onsite_shown", message["id"])
        _track(call, lead_id, "onsite_clicked", message["id"])
        call("POST", "/_local/drain")
        left = _messages(call, lead_id)
        cta = message.get("cta") or {}
        lines += [
            f'  {lead_id}\'s next page view: GET /v1/messages -> "{message["title"]}" '
            f"(CTA {cta.get('label')!r} -> {cta.get('url')})",
            f"  leadwire.js posts onsite_shown and onsite_clicked; the lead's events now hold "
            f"{', '.join(_onsite_events(call, lead_id))}; the page after that: {len(left)} messages",
        ]
        return lines
    lines.append("  none still unexpired at the end of the replay")
    return lines
