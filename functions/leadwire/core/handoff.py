"""Why a lead is handed to another system: what every handoff (webhook, Slack, HubSpot) carries.

A sales rep who gets "ann@example.com is hot" wants to know why: the segments the lead is in and
since when, the score and its band, and the event that set the trigger off with the points it
earned. Built from the lead state the actions already loaded (no extra read) and, for event
triggers, the triggering event (one read, shared with email templates).

Pure: no boto3, no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from leadwire.core.accounts import Contribution
from leadwire.core.rules import Definitions
from leadwire.core.rules.clock import from_epoch_seconds
from leadwire.core.rules.conditions import LeadsNode, walk
from leadwire.core.rules.events import LeadEvent
from leadwire.core.rules.lead_state import LeadState
from leadwire.core.rules.scoring import score_at, score_band, trait_points
from leadwire.core.tracking import StoredEvent

HUBSPOT_PROPERTY_PREFIX = "leadwire_"
HUBSPOT_ACCOUNT_ID = f"{HUBSPOT_PROPERTY_PREFIX}account_id"
MAX_LISTED_LEADS = 25


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


def qualifying_leads(
    definitions: Definitions, segment_id: str, linked: Iterable[tuple[str, Contribution]], now: datetime
) -> list[dict[str, Any]]:
    """The account's leads that make it a member of ``segment_id``, highest score first (at most
    ``MAX_LISTED_LEADS``): those in the lead segments its ``leads`` nodes count, or, for a segment
    on the account's score or traits, every lead (their scores make the account's)."""
    segment = next((s for s in definitions.account_segments if s.id == segment_id), None)
    counted = {
        node.leads.in_segment
        for root in ((segment.condition,) if segment is not None and segment.condition else ())
        for _path, node in walk(root)
        if isinstance(node, LeadsNode)
    }
    scoring = definitions.scoring
    chosen = sorted(
        (-round(part.score(scoring, now), 2), lead_id, sorted(part.segments))
        for lead_id, part in linked
        if not counted or part.segments & counted
    )
    return [
        {"leadId": lead_id, "score": -negative, "segments": segments}
        for negative, lead_id, segments in chosen[:MAX_LISTED_LEADS]
    ]


def account_why(
    account_id: str,
    traits: Mapping[str, Any],
    score: float,
    members: Mapping[str, int],
    definitions: Definitions,
    leads: list[dict[str, Any]],
    lead_count: int,
) -> dict[str, Any]:
    """What an account trigger's handoff carries: the account (id, traits, score and band), the
    account segments it is in since when, and the leads that made it qualify (``qualifying_leads``)."""
    names = {segment.id: segment.name for segment in definitions.segments}
    return {
        "accountId": account_id,
        "traits": dict(traits),
        "score": round(score, 2),
        "band": score_band(score),
        "segments": [
            {
                "segmentId": segment_id,
                "name": names.get(segment_id, segment_id),
                "enteredAt": _iso(from_epoch_seconds(at)),
            }
            for segment_id, at in sorted(members.items(), key=lambda item: (item[1], item[0]))
        ],
        "leadCount": lead_count,
        "leads": leads,
        "events": [],
    }


def hubspot_company_upsert(why: dict[str, Any], fire_at: datetime) -> dict[str, Any]:
    """HubSpot's companies batch upsert body (``POST /crm/v3/objects/companies/batch/upsert``) for
    an account, keyed by ``leadwire_account_id`` (DEPLOY: a custom company property created with
    unique values, which ``idProperty`` requires). Replaying it sets the same values."""
    properties = {
        HUBSPOT_ACCOUNT_ID: why["accountId"],
        f"{HUBSPOT_PROPERTY_PREFIX}score": str(why["score"]),
        f"{HUBSPOT_PROPERTY_PREFIX}band": why["band"],
        f"{HUBSPOT_PROPERTY_PREFIX}segments": ";".join(s["segmentId"] for s in why["segments"]),
        f"{HUBSPOT_PROPERTY_PREFIX}why": _account_summary(why),
        f"{HUBSPOT_PROPERTY_PREFIX}handed_over_at": _iso(fire_at),
    }
    return {"inputs": [{"idProperty": HUBSPOT_ACCOUNT_ID, "id": why["accountId"], "properties": properties}]}


def _account_summary(why: dict[str, Any]) -> str:
    parts = [f"account score {why['score']} ({why['band']}), {why['leadCount']} leads"]
    if why["segments"]:
        parts.append("in " + ", ".join(f"{s['name']} since {s['enteredAt'][:10]}" for s in why["segments"]))
    if why["leads"]:
        parts.append("through " + ", ".join(f"{lead['leadId']} ({lead['score']:g})" for lead in why["leads"]))
    return "; ".join(parts)


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
