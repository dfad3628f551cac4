"""Each node type, entering (holds) and not entering (does not hold)."""

from typing import Any

import pytest
from pydantic import ValidationError

from leadwire.core.rules import LeadEvent, evaluate

from .builders import at, definitions, group, identify, is_member, lead, page, screen, segment, track

NOW = at(hours=1)


@pytest.mark.parametrize(
    ("condition", "events", "expected"),
    [
        ({"performed": {"event": "trial_signup"}}, [track("trial_signup", at(days=-400))], True),
        ({"performed": {"event": "trial_signup"}}, [track("api_call")], False),
        ({"performed": {"event": "page_viewed"}}, [page("/")], True),
        ({"performed": {"event": "screen_viewed"}}, [screen("Home")], True),
        (
            {"performed": {"event": "cart_added", "where": {"sku": {"eq": "A1"}}}},
            [track("cart_added", sku="A1")],
            True,
        ),
        (
            {"performed": {"event": "cart_added", "where": {"sku": {"eq": "A1"}}}},
            [track("cart_added", sku="B2")],
            False,
        ),
        (
            {"performed": {"event": "cart_added", "where": {"sku": {"exists": True}}}},
            [track("cart_added")],
            False,
        ),
        (
            {"performed": {"event": "cart_added", "where": {"item.price": {"gte": 100}}}},
            [track("cart_added", item={"price": 120})],
            True,
        ),
        (
            {"performed": {"event": "api_call", "count": {"gte": 3}}},
            [track("api_call") for _ in range(2)],
            False,
        ),
        (
            {"performed": {"event": "api_call", "count": {"gte": 3}}},
            [track("api_call") for _ in range(3)],
            True,
        ),
        ({"performed": {"event": "api_call", "count": {"eq": 0}}}, [], True),
        (
            {"performed": {"event": "api_call", "count": {"lt": 2}}},
            [track("api_call") for _ in range(2)],
            False,
        ),
    ],
)
def test_performed(condition: dict[str, Any], events: list[LeadEvent], expected: bool) -> None:
    assert is_member(condition, events, NOW) is expected


@pytest.mark.parametrize(
    ("condition", "events", "expected"),
    [
        ({"trait": {"name": "plan", "eq": "pro"}}, [identify(plan="pro")], True),
        (
            {"trait": {"name": "plan", "eq": "pro"}},
            [identify(plan="pro"), identify(at(minutes=5), plan="free")],
            False,
        ),
        ({"trait": {"name": "company.size", "gte": 500}}, [identify(company={"size": 800})], True),
        ({"trait": {"name": "company_size", "gte": 500}}, [identify(company_size="1200")], True),
        ({"trait": {"name": "group.industry", "eq": "retail"}}, [group(industry="retail")], True),
        ({"trait": {"name": "plan", "exists": False}}, [identify(email="a@b.c")], True),
        (
            {"trait": {"name": "plan", "exists": False}},
            [identify(plan="pro"), identify(at(minutes=1), plan=None)],
            True,
        ),
        ({"trait": {"name": "plan", "eq": "pro"}}, [track("upgraded", plan="pro")], False),
    ],
)
def test_trait(condition: dict[str, Any], events: list[LeadEvent], expected: bool) -> None:
    assert is_member(condition, events, NOW) is expected


@pytest.mark.parametrize(
    ("condition", "events", "now", "expected"),
    [
        ({"last_activity": {"within": "P7D"}}, [page("/", at())], at(days=6, hours=23), True),
        ({"last_activity": {"within": "P7D"}}, [page("/", at())], at(days=7), False),
        ({"last_activity": {"older_than": "P14D"}}, [track("x", at())], at(days=13), False),
        ({"last_activity": {"older_than": "P14D"}}, [track("x", at())], at(days=14), True),
        ({"last_activity": {"within": "P7D"}}, [identify(at(), plan="pro")], at(), False),
        ({"last_activity": {"older_than": "P7D"}}, [identify(at(days=-30), plan="pro")], at(), False),
        (
            {"last_activity": {"within": "PT1H"}},
            [track("x", at()), identify(at(hours=5))],
            at(hours=2),
            False,
        ),
        ({"first_seen": {"within": "P14D"}}, [identify(at()), track("x", at(days=10))], at(days=13), True),
        ({"first_seen": {"within": "P14D"}}, [identify(at()), track("x", at(days=10))], at(days=14), False),
        ({"first_seen": {"older_than": "P30D"}}, [track("x", at())], at(days=29), False),
        ({"first_seen": {"older_than": "P30D"}}, [track("x", at())], at(days=30), True),
    ],
)
def test_recency(condition: dict[str, Any], events: list[LeadEvent], now: Any, expected: bool) -> None:
    assert is_member(condition, events, now) is expected


@pytest.mark.parametrize(
    ("events", "channel", "expected"),
    [
        ([], "email", False),
        ([identify(subscriptions={"email": True})], "email", True),
        ([identify(subscriptions={"email": True})], "sms", False),
        ([identify(subscriptions={"sms": True, "email": False})], "sms", True),
        ([identify(unsubscribed=False)], "email", True),
        ([identify(unsubscribed=False), identify(at(minutes=1), unsubscribed=True)], "email", False),
        ([identify(at(minutes=1), unsubscribed=False), identify(at(), unsubscribed=True)], "email", True),
        ([identify(unsubscribed=False), track("email_unsubscribed", at(minutes=1))], "email", False),
        ([identify(subscriptions={"sms": True}), track("email_unsubscribed", channel="sms")], "sms", False),
        ([identify(unsubscribed=False), track("email_complained", at(minutes=1))], "email", False),
        (
            [identify(unsubscribed=False), track("email_bounced", at(minutes=1), bounce_type="Permanent")],
            "email",
            False,
        ),
        (
            [identify(unsubscribed=False), track("email_bounced", at(minutes=1), bounceType="Transient")],
            "email",
            True,
        ),
        ([track("email_complained", at()), identify(at(minutes=1), unsubscribed=False)], "email", False),
    ],
)
def test_subscribed_needs_consent_and_no_suppression(
    events: list[LeadEvent], channel: str, expected: bool
) -> None:
    assert is_member({"subscribed": channel}, events, NOW) is expected


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ({"all": [{"trait": {"name": "plan", "eq": "pro"}}, {"performed": {"event": "login"}}]}, True),
        ({"all": [{"trait": {"name": "plan", "eq": "pro"}}, {"performed": {"event": "logout"}}]}, False),
        ({"any": [{"trait": {"name": "plan", "eq": "free"}}, {"performed": {"event": "login"}}]}, True),
        ({"any": [{"trait": {"name": "plan", "eq": "free"}}, {"performed": {"event": "logout"}}]}, False),
        ({"not": {"performed": {"event": "logout"}}}, True),
        ({"not": {"performed": {"event": "login"}}}, False),
        ({"not": {"not": {"performed": {"event": "login"}}}}, True),
    ],
)
def test_boolean_nodes(condition: dict[str, Any], expected: bool) -> None:
    events = [identify(plan="pro"), track("login")]
    assert is_member(condition, events, NOW) is expected


@pytest.mark.parametrize(("plan", "expected"), [("pro", {"pro", "pro-and-active"}), ("free", set())])
def test_in_segment_reads_the_other_segments_membership(plan: str, expected: set[str]) -> None:
    # Given a segment that depends on another, declared first
    defs = definitions(
        segment({"all": [{"in_segment": "pro"}, {"performed": {"event": "login"}}]}, "pro-and-active"),
        segment({"trait": {"name": "plan", "eq": "pro"}}, "pro"),
    )
    # When the lead is evaluated
    state = lead([identify(plan=plan), track("login")], defs)
    # Then in_segment sees the membership decided in the same evaluation
    assert evaluate(state, defs, NOW).segments == expected


def test_track_event_needs_a_name() -> None:
    with pytest.raises(ValidationError, match="a track event needs an event name"):
        LeadEvent(message_id="m", type="track", timestamp=at())


@pytest.mark.parametrize(
    ("event", "name"),
    [
        (track("signup"), "signup"),
        (page("/"), "page_viewed"),
        (screen("Home"), "screen_viewed"),
        (identify(), None),
    ],
)
def test_rules_match_page_and_screen_calls_by_their_event_names(event: LeadEvent, name: str | None) -> None:
    assert event.name == name
