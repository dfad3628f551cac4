"""What an account trigger hands over: the leads that made the account qualify (those in the
lead segments its condition counts, or every lead for a score segment), highest score first and
bounded, and HubSpot's company upsert keyed by the account id."""

from datetime import UTC, datetime

from leadwire.core.accounts import Contribution
from leadwire.core.handoff import MAX_LISTED_LEADS, account_why, hubspot_company_upsert, qualifying_leads
from leadwire.core.rules import parse_definitions
from leadwire.core.rules.clock import epoch_seconds

NOW = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)
DEFS = parse_definitions(
    {
        "segments": [
            {"id": "hot", "name": "Hot", "condition": {"score": {"gte": 50}}},
            {
                "id": "three-hot",
                "name": "Three Hot",
                "level": "account",
                "condition": {"leads": {"in_segment": "hot", "count": {"gte": 3}}},
            },
            {"id": "big", "name": "Big", "level": "account", "condition": {"score": {"gte": 100}}},
        ]
    }
)


def part(points, *segments):
    return Contribution(points=points, at=epoch_seconds(NOW), segments=frozenset(segments))


LINKED = [("cold", part(10)), ("b", part(60, "hot")), ("a", part(60, "hot")), ("top", part(80, "hot"))]


def test_a_counting_segment_lists_the_leads_in_the_counted_segment_highest_score_first():
    leads = qualifying_leads(DEFS, "three-hot", LINKED, NOW)

    assert [(lead["leadId"], lead["score"]) for lead in leads] == [("top", 80), ("a", 60), ("b", 60)]
    assert leads[0]["segments"] == ["hot"]


def test_a_score_segment_lists_every_lead_and_the_list_is_bounded():
    many = [(f"u{i:03d}", part(i)) for i in range(MAX_LISTED_LEADS + 5)]

    assert [lead["leadId"] for lead in qualifying_leads(DEFS, "big", LINKED, NOW)][-1] == "cold"
    leads = qualifying_leads(DEFS, "big", many, NOW)
    assert len(leads) == MAX_LISTED_LEADS
    assert leads[0]["leadId"] == f"u{MAX_LISTED_LEADS + 4:03d}"


def test_hubspot_upserts_the_account_as_a_company_by_its_id():
    leads = qualifying_leads(DEFS, "three-hot", LINKED, NOW)
    why = account_why(
        "acme", {"plan": "enterprise"}, 210.0, {"three-hot": epoch_seconds(NOW)}, DEFS, leads, 4
    )

    body = hubspot_company_upsert(why, NOW)

    [item] = body["inputs"]
    assert (item["idProperty"], item["id"]) == ("leadwire_account_id", "acme")
    properties = item["properties"]
    assert properties["leadwire_score"] == "210.0"
    assert properties["leadwire_segments"] == "three-hot"
    assert properties["leadwire_why"] == (
        "account score 210.0 (Very Hot), 4 leads; in Three Hot since 2026-11-02; "
        "through top (80), a (60), b (60)"
    )
    assert why["segments"] == [
        {"segmentId": "three-hot", "name": "Three Hot", "enteredAt": "2026-11-02T12:00:00Z"}
    ]
