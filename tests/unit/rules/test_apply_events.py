"""``apply_events``: order-insensitive, idempotent, and keeping only what the definitions need."""

import random
from datetime import datetime

import pytest

from leadwire.core.rules import (
    DEDUPE_WINDOW,
    LeadEvent,
    LeadState,
    apply_events,
    evaluate,
    untracked_aggregates,
)
from leadwire.core.rules.dedupe import TOKEN_LENGTH

from .builders import LEAD_ID, at, definitions, group, identify, lead, one_segment, page, segment, track

RICH = definitions(
    segment(
        {
            "performed": {
                "event": "page_viewed",
                "where": {"path": {"starts_with": "/pricing"}},
                "within": "P7D",
                "count": {"gte": 2},
            }
        },
        "pricing",
    ),
    segment({"performed": {"event": "api_call", "within": "P30D", "count": {"gte": 100}}}, "power"),
    segment({"performed": {"event": "api_call", "count": {"gte": 3}}}, "api-ever"),
    segment(
        {
            "sequence": {
                "steps": [{"event": "page_viewed"}, {"event": "trial_signup"}, {"event": "api_call"}],
                "within": "P3D",
            }
        },
        "funnel",
    ),
    segment({"sequence": {"steps": [{"event": "cart_added"}, {"event": "purchase"}]}}, "buyer"),
    segment({"all": [{"subscribed": "email"}, {"trait": {"name": "plan", "eq": "pro"}}]}, "pro-mailable"),
    scoring={
        "rules": [
            {"event": "page_viewed", "points": 2, "max_per_day": 5},
            {"event": "api_call", "points": 1},
            {"event": "trial_signup", "points": 30},
        ],
        "traits": [{"name": "plan", "eq": "pro", "points": 10}],
    },
)
RICH_EVENTS = [
    page("/pricing", at()),
    page("/pricing/teams", at(hours=1)),
    page("/docs", at(hours=2)),
    track("trial_signup", at(hours=3)),
    track("api_call", at(hours=4)),
    track("api_call", at(days=1)),
    track("api_call", at(days=2)),
    track("purchase", at(days=2, hours=1)),
    track("cart_added", at(days=2)),
    identify(at(hours=5), plan="pro", subscriptions={"email": True}),
    identify(at(hours=1), plan="free", company="Acme"),
    group(at(hours=6), industry="retail"),
    track("email_bounced", at(days=3), bounce_type="Transient"),
]


def _aggregates(state: LeadState) -> dict[str, object]:
    """All but the dedupe window (arrival order by design) and when the max score was reached."""
    return state.model_dump(exclude={"recent": True, "score": {"max_at"}})


def _shuffled_batches(seed: int) -> list[list[LeadEvent]]:
    rng = random.Random(seed)
    events = RICH_EVENTS[:]
    rng.shuffle(events)
    cuts = sorted(rng.sample(range(1, len(events)), rng.randint(0, 3)))
    return [events[start:end] for start, end in zip([0, *cuts], [*cuts, len(events)], strict=True)]


@pytest.mark.parametrize("seed", range(24))
def test_same_events_in_any_order_and_batches_give_the_same_state(seed: int) -> None:
    # Given the events applied in timestamp order in one batch
    expected = lead(sorted(RICH_EVENTS, key=lambda e: e.timestamp), RICH)
    # When the same events arrive shuffled, in up to four batches
    state = LeadState.new(LEAD_ID)
    for batch in _shuffled_batches(seed):
        state = apply_events(state, batch, RICH)
    # Then every aggregate is the same
    assert _aggregates(state) == _aggregates(expected)


@pytest.mark.parametrize("seed", range(6))
def test_same_events_in_any_order_give_the_same_decayed_score(seed: int) -> None:
    scoring = {
        "rules": [{"event": "api_call", "points": 3}, {"event": "trial_signup", "points": 30}],
        "decay": {"half_life": "P1D"},
    }
    defs = definitions(scoring=scoring)
    expected = lead(RICH_EVENTS, defs)
    state = LeadState.new(LEAD_ID)
    for batch in _shuffled_batches(seed):
        state = apply_events(state, batch, defs)
    assert state.score.points == pytest.approx(expected.score.points)
    assert evaluate(state, defs, at(days=5)).score == pytest.approx(
        evaluate(expected, defs, at(days=5)).score
    )


def test_sanity_the_rich_lead_is_in_the_expected_segments() -> None:
    evaluation = evaluate(lead(RICH_EVENTS, RICH), RICH, at(days=2, hours=2))
    assert evaluation.segments == {"pricing", "api-ever", "funnel", "buyer", "pro-mailable"}
    assert evaluation.score == 2 + 2 + 1 + 30 + 3 + 10


def test_redelivered_batch_changes_nothing() -> None:
    # Given a state that already applied a batch
    once = lead(RICH_EVENTS, RICH)
    # When the stream redelivers the same batch
    twice = apply_events(once, RICH_EVENTS, RICH)
    # Then the state is identical
    assert twice == once


def test_duplicate_inside_one_batch_counts_once() -> None:
    event = track("api_call", at(), message_id="dup")
    assert lead([event, event.model_copy()], RICH) == lead([event], RICH)


def test_same_message_id_with_other_content_is_still_a_duplicate() -> None:
    first = lead([track("api_call", at(), message_id="m-1")], RICH)
    again = apply_events(first, [track("trial_signup", at(hours=1), message_id="m-1")], RICH)
    assert again == first


def test_dedupe_window_keeps_the_last_window_of_message_ids() -> None:
    # Given more events than the window
    defs = one_segment({"performed": {"event": "x"}})
    state = lead([track("x", at(seconds=s), message_id=f"m-{s}") for s in range(DEDUPE_WINDOW + 10)], defs)
    # Then the newest ids are remembered, the oldest forgotten (and would count again)
    assert len(state.recent) == DEDUPE_WINDOW * TOKEN_LENGTH
    newest = apply_events(state, [track("x", at(), message_id=f"m-{DEDUPE_WINDOW + 9}")], defs)
    oldest = apply_events(state, [track("x", at(), message_id="m-0")], defs)
    assert (newest.counters == state.counters, oldest.counters == state.counters) == (True, False)


def test_late_identify_does_not_overwrite_a_newer_trait_but_fills_others() -> None:
    defs = definitions()
    state = lead([identify(at(hours=2), plan="pro")], defs)
    state = lead([identify(at(hours=1), plan="free", company="Acme")], defs, state)
    assert state.traits == {"plan": "pro", "company": "Acme"}


@pytest.mark.parametrize("order", [(0, 1), (1, 0)])
def test_identify_tie_on_the_same_millisecond_resolves_the_same_either_way(order: tuple[int, int]) -> None:
    events = [identify(at(), plan="pro"), identify(at(), plan="free")]
    state = lead([events[i] for i in order], definitions())
    assert state.traits["plan"] == "pro"


def test_group_traits_merge_under_group() -> None:
    state = lead([group(at(), industry="retail"), group(at(hours=1), size=40)], definitions())
    assert state.traits == {"group": {"industry": "retail", "size": 40}}


@pytest.mark.parametrize(
    ("events", "first_seen", "last_activity"),
    [
        ([identify(at()), track("x", at(hours=1))], at(), at(hours=1)),
        ([track("x", at(hours=1)), page("/", at(hours=3)), identify(at(hours=5))], at(hours=1), at(hours=3)),
        ([identify(at()), group(at(hours=1))], at(), None),
    ],
)
def test_first_seen_is_any_event_and_last_activity_is_track_page_or_screen(
    events: list[LeadEvent], first_seen: datetime, last_activity: datetime | None
) -> None:
    state = lead(events, definitions())
    assert state.first_seen_at == int(first_seen.timestamp())
    assert state.last_activity_at == (None if last_activity is None else int(last_activity.timestamp()))


def test_reload_drops_aggregates_no_definition_needs() -> None:
    # Given a lead tracked under the rich definitions
    state = lead(RICH_EVENTS, RICH)
    # When events are applied under definitions with a single counter
    smaller = one_segment({"performed": {"event": "api_call"}})
    state = apply_events(state, [track("api_call", at(days=4))], smaller)
    # Then only that counter remains
    assert (list(state.counters), state.sequences, state.score.used) == (list(smaller.plan.counters), {}, {})


def test_untracked_aggregates_lists_what_a_reload_added_for_an_existing_lead() -> None:
    state = lead([track("api_call", at())], one_segment({"performed": {"event": "api_call"}}))
    reloaded = one_segment({"any": [{"performed": {"event": "api_call"}}, {"performed": {"event": "demo"}}]})
    assert untracked_aggregates(state, reloaded) == set(reloaded.plan.counters) - set(state.counters)
    assert len(untracked_aggregates(state, reloaded)) == 1


def test_untracked_aggregates_is_empty_for_a_new_lead() -> None:
    assert untracked_aggregates(LeadState.new(LEAD_ID), RICH) == frozenset()


def test_event_stamped_after_now_counts_as_stamped_now() -> None:
    # Given a recent visit and "visit within P7D"
    defs = one_segment({"performed": {"event": "visit", "within": "P7D"}})
    state = lead([track("visit", at())], defs)
    # When an event stamped a year ahead arrives, applied with the real clock
    state = apply_events(state, [track("other", at(days=365))], defs, now=at(hours=1))
    # Then the lead is not pushed into the future and the recent visit still counts
    assert state.last_activity_at == int(at(hours=1).timestamp())
    assert evaluate(state, defs, at(hours=1)).segments == {"seg"}


def test_apply_events_does_not_change_its_input() -> None:
    state = lead([track("api_call", at())], RICH)
    before = state.model_copy(deep=True)
    apply_events(state, RICH_EVENTS, RICH)
    assert state == before
