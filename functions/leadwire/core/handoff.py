"""Why a lead is handed to another system: what every handoff (webhook, Slack, HubSpot) carries.

A sales rep who gets "ann@example.com is hot" wants to know why: the segments the lead is in and
since when, the score and its band, and the event that set the trigger off with the points it
earned. Built from the lead state the actions already loaded (no extra read) and, for event
triggers, the triggering event (one read, shared with email templates).

Pure: no boto3, no I/O.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from leadwire.core.rules import Definitions
from leadwire.core.rules.events import LeadEvent
from leadwire.core.rules.lead_state import LeadState
from leadwire.core.rules.scoring import score_at, score_band, trait_points
from leadwire.core.tracking import StoredEvent

HUBSPOT_PROPERTY_PREFIX = "leadwire_"


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def handoff_why(
    state: LeadState, definitions: Definitions, now: datetime, event: StoredEvent | None
) -> dict[str, Any]:
    """``{"score", "band", "maxScore", "segments": [{"segmentId", "name", "enteredAt"}],
    "events": [...], "scoreChange"?}``: segments oldest membership first; ``scoreChange`` is what
    the triggering event's scoring rules grant (before daily caps), present when there is one."""
    scoring = definitions.scoring
    score = score_at(state.score, scoring, trait_points(state.traits, scoring), now.timestamp())
    names = {segment.id: segment.name for segment in definitions.segments}
    memberships = sorted(state.memberships.items(), key=lambda item: (item[1], item[0]))
    why: dict[str, Any] = {
        "score": round(score, 2),
        "band": score_band(score),
        "maxScore": round(max(state.score.max, score), 2),
        "segments": [
            {"segmentId": segment_id, "name": names.get(segment_id, segment_id), "enteredAt": _iso(at)}
            for segment_id, at in memberships
        ],
        "events": [],
    }
    if event is not None:
        as_lead_event = LeadEvent(
            message_id=event.message_id,
            type=event.type,
            event=event.event,
            timestamp=event.timestamp,
            properties=event.properties,
        )
        points = sum(rule.points for rule in scoring.rules if rule.matches(as_lead_event))
        why["scoreChange"] = {"points": points, "messageId": event.message_id}
        why["events"] = [
            {
                "messageId": event.message_id,
                "event": as_lead_event.name,
                "timestamp": _iso(event.timestamp),
                "properties": dict(event.properties),
            }
        ]
    return why


def hubspot_upsert(email: str, why: dict[str, Any], fire_at: datetime) -> dict[str, Any]:
    """HubSpot's contacts batch upsert body (``POST /crm/v3/objects/contacts/batch/upsert``) for
    one contact, keyed by email: replaying it sets the same values (idempotent by nature).

    The ``leadwire_*`` properties are custom contact properties (DEPLOY: create them once in
    HubSpot, or HubSpot refuses the call with a 400 naming the property)."""
    segments = why["segments"]
    properties = {
        f"{HUBSPOT_PROPERTY_PREFIX}score": str(why["score"]),
        f"{HUBSPOT_PROPERTY_PREFIX}band": why["band"],
        f"{HUBSPOT_PROPERTY_PREFIX}segments": ";".join(s["segmentId"] for s in segments),
        f"{HUBSPOT_PROPERTY_PREFIX}why": _summary(why),
        f"{HUBSPOT_PROPERTY_PREFIX}handed_over_at": _iso(fire_at),
    }
    return {"inputs": [{"idProperty": "email", "id": email, "properties": properties}]}


def _summary(why: dict[str, Any]) -> str:
    """One line a person reads in the CRM: score, band, segments since when, the last event."""
    parts = [f"score {why['score']} ({why['band']})"]
    if why["segments"]:
        joined = ", ".join(f"{s['name']} since {s['enteredAt'][:10]}" for s in why["segments"])
        parts.append(f"in {joined}")
    if why["events"]:
        event = why["events"][0]
        change = why.get("scoreChange", {}).get("points", 0)
        parts.append(f"after {event['event']} ({change:+g} points) at {event['timestamp']}")
    return "; ".join(parts)
