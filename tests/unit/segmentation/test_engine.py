"""The segmentation use case with in-memory ports: order, time, duplicates, conflicts, merges."""

from datetime import timedelta

import pytest

from leadwire.core.leads import VersionConflict
from leadwire.segmentation.engine import SegmentationEngine, identity_sources

from .conftest import T0, event


@pytest.fixture
def engine(leads, history, definitions, clock):
    return SegmentationEngine(leads, history, definitions, clock)


def test_one_read_and_one_write_per_lead_per_batch(engine, leads):
    batch = [event("u1", "trial_signup", T0), event("u1", "demo_requested", T0 + timedelta(minutes=5))]
    engine.process("u1", batch)
    assert leads.loads == 1
    assert len(leads.saves) == 1


def test_an_event_that_moves_no_segment_is_judged_once(engine, leads, clock, monkeypatch):
    import leadwire.segmentation.engine as engine_module

    judged = []
    real = engine_module.evaluate

    def counted(state, definitions, at, account=None):
        judged.append(at)
        return real(state, definitions, at, account)

    monkeypatch.setattr(engine_module, "evaluate", counted)
    clock.now = T0 + timedelta(hours=1)
    engine.process("u1", [event("u1", "trial_signup", T0)])  # moves the lead into segments
    judged.clear()
    clock.now = T0 + timedelta(hours=2)
    views = [event("u1", "page_viewed", T0 + timedelta(minutes=m)) for m in (70, 80, 90)]
    engine.process("u1", views)
    # where the last batch left it (what time alone moved since), then once per event and once
    # at the end: the evaluation that settled the lead at an instant also answers when time
    # alone next moves it, instead of a second judging before the next event
    assert judged == [T0 + timedelta(hours=1), *(view.timestamp for view in views), clock.now]


def test_entry_is_recorded_at_the_causing_events_instant(engine, leads, clock):
    clock.now = T0 + timedelta(hours=1)
    trial = event("u1", "trial_signup", T0)
    demo = event("u1", "demo_requested", T0 + timedelta(minutes=5))
    engine.process("u1", [demo, trial])  # arrival order differs from event order
    entered = {(seg, at, cause) for seg, kind, at, cause in leads.transitions() if kind == "entered"}
    assert ("trial", T0, trial.message_id) in entered
    assert ("hot", T0 + timedelta(minutes=5), demo.message_id) in entered


def test_time_based_flips_between_events_are_recorded_at_their_due_instant(engine, leads, clock):
    # Given a trial signup, then nothing for 20 days, then an API call
    clock.now = T0 + timedelta(days=30)
    engine.process("u1", [event("u1", "trial_signup", T0), event("u1", "api_call", T0 + timedelta(days=20))])
    flips = [(seg, kind, at) for seg, kind, at, cause in leads.transitions() if cause == "time"]
    # Then "active" ended at T0+7d and "stalled" began at T0+14d, before the API call ended it
    assert ("active", "exited", T0 + timedelta(days=7)) in flips
    assert ("stalled", "entered", T0 + timedelta(days=14)) in flips
    exits = [
        (seg, at) for seg, kind, at, cause in leads.transitions() if kind == "exited" and seg == "stalled"
    ]
    assert exits == [("stalled", T0 + timedelta(days=20))]


def test_replayed_history_equals_live_arrival(engine, leads, history, definitions, clock):
    # Given the same events sent live (one batch each) and as one historical batch
    events = [event("live", "trial_signup", T0), event("live", "api_call", T0 + timedelta(days=20))]
    clock.now = T0
    engine.process("live", events[:1])
    for step in (timedelta(days=7), timedelta(days=14), timedelta(days=20)):
        clock.now = T0 + step
        engine.process("live", events[1:] if step == timedelta(days=20) else [])
    replayed = [e.model_copy(update={"lead_id": "replay", "user_id": "replay"}) for e in events]
    engine.process("replay", replayed)
    # Then the two leads went through the same intervals at the same instants
    live = sorted((s, k, a) for s, k, a, _ in leads.transitions("live"))
    replay = sorted((s, k, a) for s, k, a, _ in leads.transitions("replay"))
    assert live == replay


def test_duplicate_delivery_changes_nothing(engine, leads):
    batch = [event("u1", "trial_signup", T0), event("u1", "demo_requested", T0)]
    engine.process("u1", batch)
    state_before = leads.records["u1"].state
    engine.process("u1", batch)
    assert leads.records["u1"].state.score == state_before.score
    assert leads.saves[-1][1] == []  # the second save records no membership change


def test_a_conflicting_writer_makes_the_lead_start_again(engine, leads):
    leads.conflicts_to_inject = 2
    engine.process("u1", [event("u1", "trial_signup", T0)])
    assert leads.records["u1"].version == 1
    assert [k for _, k, _, _ in leads.transitions()].count("entered") >= 1


def test_conflicts_that_never_stop_surface_as_an_error(engine, leads):
    leads.conflicts_to_inject = 100
    with pytest.raises(VersionConflict):
        engine.process("u1", [event("u1", "trial_signup", T0)])


def test_hysteresis_keeps_a_hot_lead_until_the_exit_condition(engine, leads, definitions):
    engine.process("u1", [event("u1", "trial_signup", T0), event("u1", "demo_requested", T0)])
    assert "hot" in leads.records["u1"].state.memberships


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"type": "alias", "previous_id": "anon-1"}, [("anon-1", T0)]),
        ({"type": "identify", "anonymous_id": "anon-2", "user_id": "u1"}, [("anon-2", T0)]),
        ({"type": "identify", "user_id": "u1"}, []),
    ],
)
def test_identity_sources(kwargs, expected):
    assert identity_sources([event("u1", **kwargs)]) == expected


def test_identify_with_both_ids_merges_the_anonymous_lead(engine, leads, clock):
    # Given an anonymous visitor who signed up for a trial
    clock.now = T0 + timedelta(days=1)
    engine.process("anon-1", [event("anon-1", "trial_signup", T0, anonymous_id="anon-1")])
    assert "trial" in leads.records["anon-1"].state.memberships
    # When they identify as u1 with their anonymous id
    engine.process(
        "u1",
        [
            event(
                "u1",
                type="identify",
                at=T0 + timedelta(hours=1),
                user_id="u1",
                anonymous_id="anon-1",
                traits={"email": "a@example.com"},
            )
        ],
    )
    # Then u1 holds the trial, the anonymous lead points at u1 and left its segments
    assert "trial" in leads.records["u1"].state.memberships
    assert leads.records["u1"].aliases == ["anon-1"]
    assert leads.records["anon-1"].merged_into == "u1"
    assert leads.records["anon-1"].state.memberships == {}
    assert ("trial", "exited") in [(s, k) for s, k, _, c in leads.transitions("anon-1") if c == "merge:u1"]


def test_events_of_a_merged_anonymous_id_go_to_the_known_lead(engine, leads, clock):
    clock.now = T0 + timedelta(days=1)
    engine.process("anon-1", [event("anon-1", "page_viewed", T0, type="page", anonymous_id="anon-1")])
    engine.process("u1", [event("u1", type="identify", at=T0, user_id="u1", anonymous_id="anon-1")])
    engine.process(
        "anon-1", [event("anon-1", "trial_signup", T0 + timedelta(hours=2), anonymous_id="anon-1")]
    )
    assert "trial" in leads.records["u1"].state.memberships
    assert "trial" not in leads.records["anon-1"].state.memberships


def test_new_definitions_rebuild_aggregates_from_stored_events(leads, history, definitions, clock):
    from leadwire.core.rules import parse_definitions

    from .conftest import DEFINITIONS

    events = [event("u1", "webinar_registered", T0)]
    history.add(events)
    SegmentationEngine(leads, history, definitions, clock).process("u1", events)
    widened = parse_definitions(
        {
            **DEFINITIONS,
            "segments": [
                *DEFINITIONS["segments"],
                {
                    "id": "webinar",
                    "name": "Webinar",
                    "condition": {"performed": {"event": "webinar_registered"}},
                },
            ],
        }
    )
    outcome = SegmentationEngine(leads, history, widened, clock).advance("u1", cause="definitions")
    assert outcome.rebuilt
    assert "webinar" in leads.records["u1"].state.memberships


def _transition(segment, kind, entered, at):
    from leadwire.core.leads import Transition
    from leadwire.core.rules import MembershipChange

    return Transition(
        change=MembershipChange(segment_id=segment, kind=kind, at=at),
        cause="m",
        entered_at=entered,
        definition_version="v",
    )


def test_an_interval_opened_and_closed_at_one_instant_is_not_history():
    from leadwire.segmentation.engine import without_instant_intervals

    pair = [_transition("warm", "entered", T0, T0), _transition("warm", "exited", T0, T0)]
    assert without_instant_intervals(pair) == []


def test_an_interval_opened_in_an_earlier_save_is_always_closed():
    from leadwire.segmentation.engine import without_instant_intervals

    exit_only = [_transition("warm", "exited", T0, T0)]
    assert without_instant_intervals(exit_only) == exit_only


def test_an_advance_makes_sure_a_lead_read_as_absent_is_absent(leads, history, definitions, clock):
    # Given a stored lead that an eventually consistent read does not see yet
    events = [event("u1", "webinar_registered", T0)]
    history.add(events)
    SegmentationEngine(leads, history, definitions, clock).process("u1", events)
    stored = leads.records["u1"]
    fresh_reads = []

    class Behind(type(leads)):
        def load(self, lead_id, *, fresh=False):
            fresh_reads.append(fresh)
            return super().load(lead_id, fresh=fresh) if fresh else None

    behind = Behind()
    behind.records = leads.records
    # When the sweep advances it
    outcome = SegmentationEngine(behind, history, definitions, clock).advance("u1")
    # Then it was read again as stored, and advanced (saved), not skipped as absent
    assert fresh_reads == [False, True]
    assert outcome.lead_id == "u1"
    assert behind.records["u1"].version == stored.version + 1
    # while a lead that really is absent stays so
    assert SegmentationEngine(behind, history, definitions, clock).advance("nobody").lead_id == "nobody"
    assert "nobody" not in behind.records
