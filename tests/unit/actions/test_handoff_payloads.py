"""What a handoff says about the lead: segments since when, score and band, the event that set
it off with the points it earned; and the HubSpot upsert body built from it."""

from datetime import UTC, datetime, timedelta

from leadwire.core.handoff import handoff_why, hubspot_upsert
from leadwire.core.rules import parse_definitions
from leadwire.core.rules.clock import epoch_seconds
from leadwire.core.rules.lead_state import LeadState
from leadwire.core.rules.scoring import ScoreState
from leadwire.core.tracking import StoredEvent

NOW = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)
DEFINITIONS = parse_definitions(
    {
        "segments": [
            {"id": "hot-leads", "name": "Hot Leads", "condition": {"score": {"gte": 50}}},
            {
                "id": "trial-users",
                "name": "Trial Users",
                "condition": {"performed": {"event": "trial_signup"}},
            },
        ],
        "scoring": {
            "rules": [
                {"event": "demo_requested", "points": 30},
                {"event": "demo_requested", "where": {"plan": {"eq": "enterprise"}}, "points": 10},
                {"event": "page_viewed", "points": 1},
            ]
        },
    }
)


def _state() -> LeadState:
    return LeadState(
        lead_id="ann",
        traits={"email": "ann@example.com"},
        score=ScoreState(points=62.0, at=epoch_seconds(NOW), max=70.0),
        members={
            "trial-users": epoch_seconds(NOW - timedelta(days=3)),
            "hot-leads": epoch_seconds(NOW - timedelta(minutes=5)),
        },
    )


def _event(**properties: object) -> StoredEvent:
    return StoredEvent(
        message_id="m-1",
        type="track",
        lead_id="ann",
        event="demo_requested",
        timestamp=NOW - timedelta(minutes=5),
        received_at=NOW,
        source="web",
        properties=dict(properties),
    )


def test_why_lists_segments_oldest_first_with_score_band_and_the_triggering_event():
    why = handoff_why(_state(), DEFINITIONS, NOW, _event(plan="enterprise"))

    assert why == {
        "score": 62.0,
        "band": "Hot",
        "maxScore": 70.0,
        "segments": [
            {"segmentId": "trial-users", "name": "Trial Users", "enteredAt": "2026-10-30T12:00:00Z"},
            {"segmentId": "hot-leads", "name": "Hot Leads", "enteredAt": "2026-11-02T11:55:00Z"},
        ],
        "events": [
            {
                "messageId": "m-1",
                "event": "demo_requested",
                "timestamp": "2026-11-02T11:55:00Z",
                "properties": {"plan": "enterprise"},
            }
        ],
        "scoreChange": {"points": 40, "messageId": "m-1"},
    }


def test_why_without_a_triggering_event_has_no_score_change():
    why = handoff_why(_state(), DEFINITIONS, NOW, None)

    assert why["events"] == []
    assert "scoreChange" not in why


def test_the_hubspot_upsert_keys_the_contact_by_email_and_says_why_in_words():
    why = handoff_why(_state(), DEFINITIONS, NOW, _event())

    body = hubspot_upsert("ann@example.com", why, NOW)

    [contact] = body["inputs"]
    assert contact["idProperty"] == "email"
    assert contact["id"] == "ann@example.com"
    assert contact["properties"] == {
        "leadwire_score": "62.0",
        "leadwire_band": "Hot",
        "leadwire_segments": "trial-users;hot-leads",
        "leadwire_why": "score 62.0 (Hot); in Trial Users since 2026-10-30, Hot Leads since 2026-11-02; "
        "after demo_requested (+30 points) at 2026-11-02T11:55:00Z",
        "leadwire_handed_over_at": "2026-11-02T12:00:00Z",
    }
