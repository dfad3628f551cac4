"""The stored form of the lead state: lossless and small."""

import random

import pytest

from leadwire.core.rules import LeadEvent, LeadState, evaluate

from .builders import LEAD_ID, at, definitions, identify, lead, page, segment, track

# Segments and scoring like the seed examples a team starts from.
DEFAULT_LIKE = definitions(
    segment(
        {
            "all": [
                {"performed": {"event": "trial_signup"}},
                {"last_activity": {"older_than": "P14D"}},
                {"not": {"performed": {"event": "api_call"}}},
            ]
        },
        "stalled-trials",
    ),
    segment({"score": {"gte": 50}}, "hot-leads", exit_when={"score": {"lt": 45}}),
    segment(
        {
            "performed": {
                "event": "page_viewed",
                "where": {"path": {"starts_with": "/pricing"}},
                "within": "P7D",
                "count": {"gte": 3},
            }
        },
        "pricing-researchers",
    ),
    segment({"performed": {"event": "cart_abandoned", "within": "P1D"}}, "cart-abandoners"),
    segment({"last_activity": {"older_than": "P30D"}}, "dormant"),
    segment({"first_seen": {"within": "P14D"}}, "new-leads"),
    segment({"trait": {"name": "company_size", "gte": 500}}, "enterprise"),
    segment({"all": [{"in_segment": "hot-leads"}, {"subscribed": "email"}]}, "hot-mailable"),
    segment(
        {
            "sequence": {
                "steps": [
                    {"event": "page_viewed", "where": {"path": {"starts_with": "/pricing"}}},
                    {"event": "trial_signup"},
                ],
                "within": "P7D",
            }
        },
        "pricing-to-trial",
    ),
    segment({"performed": {"event": "api_call", "within": "P7D", "count": {"gte": 20}}}, "active-developers"),
    scoring={
        "rules": [
            {"event": "page_viewed", "points": 1, "max_per_day": 10},
            {
                "event": "page_viewed",
                "where": {"path": {"starts_with": "/pricing"}},
                "points": 5,
                "max_per_day": 15,
            },
            {"event": "trial_signup", "points": 30},
            {"event": "api_call", "points": 2, "max_per_day": 20},
            {"event": "email_clicked", "points": 3},
            {"event": "email_unsubscribed", "points": -20},
        ],
        "traits": [{"name": "company_size", "gte": 500, "points": 15}],
        "decay": {"half_life": "P30D"},
    },
)


def _busy_lead_events(count: int = 500) -> list[LeadEvent]:
    rng = random.Random(7)
    events: list[LeadEvent] = [
        identify(
            at(), email="jo@example.com", name="Jo Doe", company_size=800, subscriptions={"email": True}
        ),
        track("trial_signup", at(days=1)),
    ]
    paths = ["/", "/docs", "/pricing", "/pricing/teams", "/blog/post", "/features"]
    while len(events) < count:
        when = at(days=rng.uniform(0, 60))
        kind = rng.random()
        if kind < 0.55:
            events.append(page(rng.choice(paths), when))
        elif kind < 0.85:
            events.append(track("api_call", when, endpoint="/v1/things"))
        elif kind < 0.95:
            events.append(track(rng.choice(["email_opened", "email_clicked"]), when, campaign="nurture-3"))
        else:
            events.append(track("cart_added", when, cart_id=f"c{rng.randint(1, 9)}"))
    return events


def test_state_round_trips_through_its_json() -> None:
    state = lead(_busy_lead_events(), DEFAULT_LIKE)
    assert LeadState.from_json(state.to_json()) == state


def test_new_lead_state_is_a_few_bytes() -> None:
    assert LeadState.new(LEAD_ID).to_json() == '{"id":"lead-1"}'


def test_lead_with_500_events_fits_in_two_write_units() -> None:
    # Given a busy lead: 500 events over 60 days, under seed-like definitions
    state = lead(_busy_lead_events(), DEFAULT_LIKE)
    # Then its stored JSON stays under 2 KB (two DynamoDB write units)
    assert len(state.to_json().encode("utf-8")) < 2 * 1024


@pytest.mark.parametrize("batch_size", [1, 25])
def test_applying_in_batches_stays_as_small_as_in_one_go(batch_size: int) -> None:
    events = _busy_lead_events()
    state = LeadState.new(LEAD_ID)
    for start in range(0, len(events), batch_size):
        state = lead(events[start : start + batch_size], DEFAULT_LIKE, state)
    one_go = lead(events, DEFAULT_LIKE)
    assert len(state.to_json()) <= len(one_go.to_json()) + 16


def test_busy_lead_is_evaluable_after_a_round_trip() -> None:
    state = LeadState.from_json(lead(_busy_lead_events(), DEFAULT_LIKE).to_json())
    evaluation = evaluate(state, DEFAULT_LIKE, at(days=61))
    assert {"enterprise", "hot-leads"} <= evaluation.segments
    assert evaluation.next_flip_at is not None
