"""``merge_states``: an anonymous lead merged into a known one is the lead that saw both streams."""

import random
from datetime import datetime
from typing import Any

import pytest

from leadwire.core.rules import (
    DEDUPE_WINDOW,
    Definitions,
    LeadEvent,
    LeadState,
    apply_events,
    evaluate,
    merge_states,
)
from leadwire.core.rules.dedupe import TOKEN_LENGTH
from leadwire.core.rules.scoring import CAP_RETENTION_DAYS

from .builders import (
    LEAD_ID,
    at,
    definitions,
    group,
    identify,
    lead,
    one_segment,
    page,
    segment,
    settle,
    track,
)

ANON_ID = "anon-1"

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
    segment({"last_activity": {"older_than": "P2D"}}, "idle"),
    scoring={
        "rules": [
            {"event": "page_viewed", "points": 2, "max_per_day": 5},
            {"event": "api_call", "points": 1},
            {"event": "trial_signup", "points": 30},
        ],
        "traits": [{"name": "plan", "eq": "pro", "points": 10}],
    },
)


def _rich_events() -> list[LeadEvent]:
    return [
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
        group(at(hours=7), size=40),
        track("email_bounced", at(days=3), bounce_type="Transient"),
        *[track("api_call", at(days=4, minutes=m)) for m in range(60)],
    ]


def _merged(known: list[LeadEvent], anonymous: list[LeadEvent], defs: Definitions) -> LeadState:
    """The known lead after the anonymous lead (each having applied its own stream) merged into it."""
    return merge_states(lead(known, defs), lead(anonymous, defs, LeadState.new(ANON_ID)), defs)


def _together(known: list[LeadEvent], anonymous: list[LeadEvent], defs: Definitions) -> LeadState:
    """The reference: one lead that applied both streams."""
    return lead([*known, *anonymous], defs)


def _aggregates(state: LeadState) -> dict[str, Any]:
    """All but the dedupe window (union plus merge marker) and the max score (a documented bound)."""
    return state.model_dump(exclude={"recent": True, "score": {"max", "max_at"}})


def _segments(state: LeadState, defs: Definitions, now: datetime) -> frozenset[str]:
    return evaluate(state, defs, now).segments


@pytest.mark.parametrize("seed", range(24))
def test_any_split_of_the_events_merges_to_the_state_of_one_lead(seed: int) -> None:
    # Given the rich stream split at random between the known and the anonymous lead
    rng = random.Random(seed)
    events = _rich_events()
    known = [event for event in events if rng.random() < 0.5]
    anonymous = [event for event in events if event not in known]
    # When the anonymous lead is merged into the known one
    merged = _merged(known, anonymous, RICH)
    # Then every aggregate is what one lead applying both streams has
    together = _together(known, anonymous, RICH)
    assert _aggregates(merged) == _aggregates(together)
    for now in (at(days=2, hours=2), at(days=4, hours=2), at(days=9)):
        assert evaluate(merged, RICH, now) == evaluate(together, RICH, now)


@pytest.mark.parametrize(
    ("anonymous_days", "known_days", "now_days", "expected"),
    [
        ([0, 2], [4], 5, True),
        ([0], [2, 4], 5, True),
        ([4], [0, 2], 5, True),
        ([0, 2], [], 5, False),
        ([0, 2], [4], 8, False),  # the day-0 view has left the 7 days
        ([2, 3], [4], 8, True),
    ],
)
def test_performed_within_counts_both_leads_events_in_the_window(
    anonymous_days: list[int], known_days: list[int], now_days: int, expected: bool
) -> None:
    # Given "3 pricing views within 7 days", the views split between the two leads
    defs = one_segment({"performed": {"event": "page_viewed", "within": "P7D", "count": {"gte": 3}}})
    anonymous = [page("/pricing", at(days=d)) for d in anonymous_days]
    known = [page("/pricing", at(days=d)) for d in known_days]
    # When merged
    merged = _merged(known, anonymous, defs)
    # Then the lead is in the segment exactly when one lead with all the views would be
    now = at(days=now_days)
    assert _segments(merged, defs, now) == _segments(_together(known, anonymous, defs), defs, now)
    assert ("seg" in _segments(merged, defs, now)) is expected


@pytest.mark.parametrize(("anonymous", "known", "expected"), [(2, 1, True), (1, 1, False), (0, 3, True)])
def test_performed_ever_adds_both_leads_totals(anonymous: int, known: int, expected: bool) -> None:
    # Given "signed in at least 3 times ever" and sign-ins on both leads, weeks apart
    defs = one_segment({"performed": {"event": "signed_in", "count": {"gte": 3}}})
    anonymous_events = [track("signed_in", at(days=40 * i)) for i in range(anonymous)]
    known_events = [track("signed_in", at(days=40 * i + 1)) for i in range(known)]
    # When merged
    merged = _merged(known_events, anonymous_events, defs)
    # Then the totals add up
    assert merged.counters == _together(known_events, anonymous_events, defs).counters
    assert ("seg" in _segments(merged, defs, at(days=200))) is expected


@pytest.mark.parametrize(("anonymous", "known", "expected"), [(60, 50, True), (60, 30, False)])
def test_bucketed_counts_add_up_per_bucket(anonymous: int, known: int, expected: bool) -> None:
    # Given a count threshold large enough to be kept in buckets
    defs = one_segment({"performed": {"event": "api_call", "within": "P30D", "count": {"gte": 100}}})
    anonymous_events = [track("api_call", at(hours=i)) for i in range(anonymous)]
    known_events = [track("api_call", at(hours=i, minutes=30)) for i in range(known)]
    # When merged
    merged = _merged(known_events, anonymous_events, defs)
    # Then each bucket holds both leads' events
    assert merged.counters == _together(known_events, anonymous_events, defs).counters
    assert ("seg" in _segments(merged, defs, at(days=5))) is expected


FUNNEL = {"sequence": {"steps": [{"event": "page_viewed"}, {"event": "trial_signup"}], "within": "P3D"}}
FOREVER_FUNNEL = {"sequence": {"steps": [{"event": "page_viewed"}, {"event": "trial_signup"}]}}


@pytest.mark.parametrize(
    ("condition", "anonymous_step_1_hours", "known_step_2_hours", "now_hours", "expected"),
    [
        (FUNNEL, 0, 1, 2, True),
        (FUNNEL, 2, 1, 3, False),  # the identified signup came first
        (FUNNEL, 0, 24 * 4, 24 * 4 + 1, False),  # longer than the window
        (FUNNEL, 0, 1, 24 * 3 + 1, False),  # completed, then the window passed
        (FOREVER_FUNNEL, 0, 24 * 40, 24 * 400, True),
        (FOREVER_FUNNEL, 1, 0, 2, False),
    ],
    ids=["in-order", "out-of-order", "too-slow", "expired", "no-within", "no-within-out-of-order"],
)
def test_sequence_started_anonymously_completes_after_identify(
    condition: dict[str, Any],
    anonymous_step_1_hours: float,
    known_step_2_hours: float,
    now_hours: float,
    expected: bool,
) -> None:
    # Given step 1 on the anonymous lead, and step 2 on the known lead
    defs = one_segment(condition)
    anonymous = [page("/pricing", at(hours=anonymous_step_1_hours))]
    known = [identify(at(hours=known_step_2_hours), email="a@b.c")]
    known.append(track("trial_signup", at(hours=known_step_2_hours)))
    # When merged
    merged = _merged(known, anonymous, defs)
    # Then the run counts as one lead's would
    now = at(hours=now_hours)
    assert merged.sequences == _together(known, anonymous, defs).sequences
    assert ("seg" in _segments(merged, defs, now)) is expected


CAPPED = {"rules": [{"event": "visit", "points": 10, "max_per_day": 20}]}


@pytest.mark.parametrize(
    ("anonymous_hours", "known_hours", "expected"),
    [
        ([0, 1], [2, 3], 20),  # each lead used the whole cap on the same day
        ([0], [1], 20),
        ([0, 1, 2], [], 20),
        ([0], [], 10),
        ([0, 1], [24, 25], 40),  # different UTC days
        ([2, 3], [0, 1], 20),  # the known lead's visits came first that day
    ],
)
def test_daily_cap_applies_to_both_leads_usage_together(
    anonymous_hours: list[int], known_hours: list[int], expected: float
) -> None:
    # Given 10 points per visit, at most 20 a UTC day, visits on both leads
    defs = definitions(scoring=CAPPED)
    anonymous = [track("visit", at(hours=h)) for h in anonymous_hours]
    known = [track("visit", at(hours=h)) for h in known_hours]
    # When merged
    merged = _merged(known, anonymous, defs)
    # Then the day's cap holds for the combined lead, as if it had seen every visit
    together = _together(known, anonymous, defs)
    assert evaluate(merged, defs, at(days=3)).score == evaluate(together, defs, at(days=3)).score == expected
    assert merged.score.used == together.score.used


def test_daily_cap_with_decay_is_a_lower_bound_within_the_documented_tolerance() -> None:
    # Given a 7-day half-life, and each lead using a 20-point cap on the same day (hours apart)
    defs = definitions(scoring={**CAPPED, "decay": {"half_life": "P7D"}})
    anonymous = [track("visit", at(hours=-12)), track("visit", at(hours=-11))]  # 00:00, 01:00 UTC
    known = [track("visit", at(hours=10)), track("visit", at(hours=11)), track("other", at(days=2))]
    # When merged
    merged = _merged(known, anonymous, defs)
    # Then the clamped 20 points are taken off as if granted at the end of that day: never more
    # than one lead with all events has, and less by at most 20 * (1 - 2^(-1/7))
    expected = _together(known, anonymous, defs).score.points
    assert expected - 20 * (1 - 0.5 ** (1 / 7)) <= merged.score.points <= expected


def test_cap_days_older_than_the_retention_are_not_clamped() -> None:
    # Given both leads at the cap on day 0, and the known lead active again CAP_RETENTION_DAYS later
    defs = definitions(scoring=CAPPED)
    anonymous = [track("visit", at(minutes=m)) for m in (0, 1)]
    known = [*[track("visit", at(minutes=m)) for m in (2, 3)], track("other", at(days=CAP_RETENTION_DAYS))]
    # When merged
    merged = _merged(known, anonymous, defs)
    # Then (documented approximation) that day counts each lead's own cap: at most one cap more
    together = _together(known, anonymous, defs)
    assert (together.score.points, merged.score.points) == (20, 40)


@pytest.mark.parametrize(
    ("anonymous", "known"),
    [
        ([track("demo", at())], [track("demo", at(days=7))]),
        ([track("demo", at(days=7))], [track("demo", at())]),
        ([track("demo", at()), track("demo", at(days=3))], [track("demo", at(days=1, hours=5))]),
        ([], [track("demo", at(days=2))]),
    ],
)
@pytest.mark.parametrize("now_days", [7, 10, 30])
def test_decayed_points_add_up_as_on_one_lead(
    anonymous: list[LeadEvent], known: list[LeadEvent], now_days: int
) -> None:
    # Given 40 points per demo halving every 7 days, demos on both leads
    defs = definitions(scoring={"rules": [{"event": "demo", "points": 40}], "decay": {"half_life": "P7D"}})
    # When merged
    merged = _merged(known, anonymous, defs)
    # Then the score at any later instant is one lead's
    together = _together(known, anonymous, defs)
    now = at(days=now_days)
    assert evaluate(merged, defs, now).score == pytest.approx(evaluate(together, defs, now).score)


TWO_DEMOS = [track("demo", at()), track("demo", at(minutes=1))]


@pytest.mark.parametrize(
    ("anonymous", "known", "expected"),
    [
        (TWO_DEMOS, [track("demo", at(days=28))], 160),  # the anonymous lead's peak
        ([track("demo", at(days=28))], TWO_DEMOS, 160),  # the known lead's peak
        ([track("demo", at())], [track("demo", at(days=28))], 85),  # the merged score: 5 + 80
    ],
)
def test_max_score_is_the_peak_of_the_combined_history(
    anonymous: list[LeadEvent], known: list[LeadEvent], expected: float
) -> None:
    # Given 80 points per demo, halving every 7 days, and "max score >= 150"
    scoring = {"rules": [{"event": "demo", "points": 80}], "decay": {"half_life": "P7D"}}
    defs = one_segment({"max_score": {"gte": 150}}, scoring)
    # When merged
    merged = _merged(known, anonymous, defs)
    # Then the max is the greater peak, or the merged score when both leads together go higher
    together = _together(known, anonymous, defs)
    assert merged.score.max == pytest.approx(together.score.max)
    assert merged.score.max == pytest.approx(expected, rel=1e-3)
    assert _segments(merged, defs, at(days=30)) == _segments(together, defs, at(days=30))


@pytest.mark.parametrize(
    ("anonymous_traits", "known_traits", "expected"),
    [({"company_size": 800}, {"plan": "pro"}, 25), ({"company_size": 20}, {"plan": "pro"}, 10)],
)
def test_trait_points_come_from_the_merged_traits(
    anonymous_traits: dict[str, Any], known_traits: dict[str, Any], expected: float
) -> None:
    # Given trait points for a large company and for the pro plan, each trait on one lead
    scoring = {
        "traits": [
            {"name": "company_size", "gte": 500, "points": 15},
            {"name": "plan", "eq": "pro", "points": 10},
        ]
    }
    defs = definitions(scoring=scoring)
    anonymous, known = [identify(at(), **anonymous_traits)], [identify(at(hours=1), **known_traits)]
    # When merged
    merged = _merged(known, anonymous, defs)
    # Then both traits score
    assert evaluate(merged, defs, at(days=1)).score == expected


@pytest.mark.parametrize(
    ("anonymous_plan_hours", "known_plan_hours", "expected"),
    [(1, 2, "pro"), (2, 1, "free"), (1, 1, "pro")],
    ids=["known-newer", "anonymous-newer", "same-millisecond"],
)
def test_traits_are_last_writer_wins_by_stamp_whichever_lead_wrote_them(
    anonymous_plan_hours: int, known_plan_hours: int, expected: str
) -> None:
    # Given both leads set "plan", and each set a trait the other did not
    defs = one_segment({"trait": {"name": "plan", "eq": "pro"}})
    anonymous = [identify(at(hours=anonymous_plan_hours), plan="free", utm="ads")]
    known = [identify(at(hours=known_plan_hours), plan="pro", email="a@b.c")]
    # When merged
    merged = _merged(known, anonymous, defs)
    # Then the newer write wins (a tie goes to the greater canonical JSON) and the rest is kept
    assert merged.traits == {"plan": expected, "utm": "ads", "email": "a@b.c"}
    together = _together(known, anonymous, defs)
    assert (merged.traits, merged.trait_stamps) == (together.traits, together.trait_stamps)
    assert ("seg" in _segments(merged, defs, at(days=1))) is (expected == "pro")


def test_group_traits_merge_per_key_by_stamp() -> None:
    # Given group traits on both leads, one key written by both
    defs = definitions()
    anonymous = [group(at(hours=1), industry="retail", size=10)]
    known = [group(at(hours=2), size=40), group(at(), plan="enterprise")]
    # When merged
    merged = _merged(known, anonymous, defs)
    # Then each group key is the newest write
    assert merged.traits == {"group": {"industry": "retail", "size": 40, "plan": "enterprise"}}
    assert merged.trait_stamps == _together(known, anonymous, defs).trait_stamps


@pytest.mark.parametrize(
    ("anonymous", "known", "first_seen", "last_seen", "last_activity"),
    [
        ([page("/", at())], [identify(at(days=3))], at(), at(days=3), at()),
        (
            [page("/", at(days=2))],
            [track("x", at(days=1)), identify(at(days=3))],
            at(days=1),
            at(days=3),
            at(days=2),
        ),
        ([identify(at())], [group(at(hours=1))], at(), at(hours=1), None),
        ([], [track("x", at(hours=5))], at(hours=5), at(hours=5), at(hours=5)),
    ],
)
def test_first_seen_is_the_earliest_and_last_activity_the_latest_of_both(
    anonymous: list[LeadEvent],
    known: list[LeadEvent],
    first_seen: datetime,
    last_seen: datetime,
    last_activity: datetime | None,
) -> None:
    # Given events on both leads; when merged
    merged = _merged(known, anonymous, definitions())
    # Then the instants span both histories, as one lead's would
    together = _together(known, anonymous, definitions())
    instants = (merged.first_seen_at, merged.last_seen_at, merged.last_activity_at)
    assert instants == (together.first_seen_at, together.last_seen_at, together.last_activity_at)
    expected = (first_seen, last_seen, last_activity)
    assert instants == tuple(None if i is None else int(i.timestamp()) for i in expected)


@pytest.mark.parametrize(
    ("anonymous", "known", "expected"),
    [
        (
            [identify(at(hours=1), subscriptions={"email": True})],
            [track("email_unsubscribed", at(hours=2))],
            False,
        ),
        (
            [track("email_unsubscribed", at(hours=1))],
            [identify(at(hours=2), subscriptions={"email": True})],
            True,
        ),
        (
            [identify(at(hours=1), subscriptions={"email": True})],
            [track("email_unsubscribed", at(hours=1))],
            False,  # a tie goes to the withdrawal
        ),
        ([identify(at(hours=1), subscriptions={"email": True})], [], True),
    ],
    ids=["withdrawn-later", "given-later", "same-millisecond", "anonymous-only"],
)
def test_consent_is_last_writer_wins_per_channel(
    anonymous: list[LeadEvent], known: list[LeadEvent], expected: bool
) -> None:
    # Given consent signals on both leads; when merged
    defs = one_segment({"subscribed": "email"})
    merged = _merged(known, anonymous, defs)
    # Then the newest signal decides, as on one lead
    assert merged.consent == _together(known, anonymous, defs).consent
    assert ("seg" in _segments(merged, defs, at(days=1))) is expected


@pytest.mark.parametrize("suppressed_on", ["anonymous", "known"])
def test_suppression_on_either_lead_suppresses_the_merged_lead(suppressed_on: str) -> None:
    # Given a permanent bounce on one lead and a later email consent on the known lead
    defs = one_segment({"subscribed": "email"})
    bounce = track("email_bounced", at(), bounce_type="Permanent")
    known = [identify(at(hours=1), subscriptions={"email": True})]
    anonymous = [bounce] if suppressed_on == "anonymous" else []
    known += [bounce] if suppressed_on == "known" else []
    # When merged
    merged = _merged(known, anonymous, defs)
    # Then the channel stays suppressed
    assert merged.suppressed == ["email"]
    assert _segments(merged, defs, at(days=1)) == frozenset()


@pytest.mark.parametrize("seed", range(8))
def test_merging_the_same_source_twice_changes_nothing(seed: int) -> None:
    # Given a known lead with an anonymous lead merged into it
    rng = random.Random(seed)
    events = _rich_events()
    known = [event for event in events if rng.random() < 0.5]
    target, source = (
        lead(known, RICH),
        lead([e for e in events if e not in known], RICH, LeadState.new(ANON_ID)),
    )
    once = merge_states(target, source, RICH)
    # When the same source is merged again
    twice = merge_states(once, source, RICH)
    # Then nothing changes
    assert twice == once


def test_merging_twice_changes_nothing_when_both_windows_are_full() -> None:
    # Given two leads that each applied more events than the dedupe window holds
    defs = one_segment({"performed": {"event": "x", "count": {"gte": 1}}})
    target = lead([track("x", at(seconds=s)) for s in range(DEDUPE_WINDOW + 5)], defs)
    source = lead([track("x", at(seconds=s)) for s in range(DEDUPE_WINDOW + 5)], defs, LeadState.new(ANON_ID))
    once = merge_states(target, source, defs)
    # When the same source is merged again; then nothing changes
    assert merge_states(once, source, defs) == once


def test_merged_window_keeps_the_newest_ids_of_both_leads() -> None:
    # Given two leads with full dedupe windows
    defs = one_segment({"performed": {"event": "x", "count": {"gte": 1}}})
    known = [track("x", at(seconds=s)) for s in range(DEDUPE_WINDOW)]
    anonymous = [track("x", at(seconds=s)) for s in range(DEDUPE_WINDOW)]
    merged = _merged(known, anonymous, defs)
    # When either lead's newest event is redelivered, now resolved to the known lead
    redelivered = [apply_events(merged, [events[-1]], defs) for events in (known, anonymous)]
    # Then the window is bounded and recognises both
    assert len(merged.recent) == DEDUPE_WINDOW * TOKEN_LENGTH
    assert redelivered == [merged, merged]


@pytest.mark.parametrize(
    "condition",
    [
        {"performed": {"event": "x", "within": "P7D", "count": {"gte": 3}}},
        {
            "all": [
                {"performed": {"event": "x", "count": {"gte": 3}}},
                {"performed": {"event": "x", "within": "P1D"}},
            ]
        },
        FUNNEL,
    ],
    ids=["within", "ever-and-within", "sequence"],
)
def test_an_event_applied_to_both_leads_counts_once(condition: dict[str, Any]) -> None:
    # Given a page view and a signup that (redelivered around the merge) reached both leads
    defs = one_segment(condition)
    shared = [page("/", at(hours=2)), track("x", at(hours=2)), track("trial_signup", at(hours=3))]
    anonymous = [page("/", at()), track("x", at()), *shared]
    known = [track("x", at(hours=1)), *shared]
    # When merged
    merged = _merged(known, anonymous, defs)
    # Then the shared events count once, as on one lead that saw each event once
    together = _together(known, anonymous, defs)
    assert (merged.counters, merged.sequences) == (together.counters, together.sequences)
    assert _segments(merged, defs, at(hours=4)) == _segments(together, defs, at(hours=4))


def test_redelivered_anonymous_event_after_the_merge_changes_nothing() -> None:
    # Given a merged lead
    defs = one_segment({"performed": {"event": "x", "count": {"gte": 2}}})
    anonymous = [track("x", at())]
    merged = _merged([track("x", at(hours=1))], anonymous, defs)
    # When the anonymous event is redelivered, now resolved to the known lead
    again = apply_events(merged, anonymous, defs)
    # Then it is recognised as already applied
    assert again == merged


def test_merged_lead_keeps_the_targets_id_and_memberships() -> None:
    # Given a known lead with stored memberships and an anonymous lead with others
    defs = definitions(
        segment({"performed": {"event": "x"}}, "did-x"), segment({"performed": {"event": "y"}}, "did-y")
    )
    target = settle(lead([track("x", at())], defs), defs, at())
    source = settle(lead([track("y", at())], defs, LeadState.new(ANON_ID)), defs, at())
    # When merged
    merged = merge_states(target, source, defs)
    # Then id and stored memberships are the target's (the caller re-evaluates and diffs)
    assert (merged.lead_id, merged.members) == (LEAD_ID, target.members)
    assert evaluate(merged, defs, at(hours=1)).segments == {"did-x", "did-y"}


def test_merge_does_not_change_its_inputs() -> None:
    target = lead(_rich_events()[:5], RICH)
    source = lead(_rich_events()[5:], RICH, LeadState.new(ANON_ID))
    before = (target.model_copy(deep=True), source.model_copy(deep=True))
    merge_states(target, source, RICH)
    assert (target, source) == before


def test_merging_a_lead_into_itself_changes_nothing() -> None:
    state = lead(_rich_events(), RICH)
    assert merge_states(state, state, RICH) == state
