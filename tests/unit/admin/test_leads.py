"""Lead reads: merges resolved, score decayed to now, aliases' events and history included."""

from datetime import timedelta

import pytest

from leadwire.admin.leads import LeadAdmin
from leadwire.core.errors import NotFound
from leadwire.core.leads import LeadRecord
from leadwire.core.rules import LeadEvent, LeadState, apply_events, parse_definitions
from leadwire.core.tracking import StoredEvent

from .conftest import NOW

DEFINITIONS = parse_definitions(
    {
        "segments": [{"id": "hot", "name": "Hot", "condition": {"score": {"gte": 50}}}],
        "scoring": {"rules": [{"event": "demo_requested", "points": 60}], "decay": {"half_life": "P14D"}},
    }
)


def stored_event(lead_id, message_id, at):
    return StoredEvent(
        message_id=message_id,
        type="track",
        lead_id=lead_id,
        event="demo_requested",
        timestamp=at,
        received_at=at,
        source="test",
    )


class MemoryLeads:
    def __init__(self):
        self.records = {}
        self.intervals = {}
        self.events = {}

    def add(self, record, intervals=(), events=()):
        self.records[record.lead_id] = record
        self.intervals[record.lead_id] = list(intervals)
        self.events[record.lead_id] = list(events)

    def load(self, lead_id):
        return self.records.get(lead_id)

    def history(self, lead_id):
        return self.intervals.get(lead_id, [])

    def members(self, segment_id, limit, after_lead):
        ids = sorted(lead for lead, r in self.records.items() if segment_id in r.state.members)
        remaining = [lead for lead in ids if after_lead is None or lead > after_lead]
        page = remaining[:limit]
        return [{"leadId": lead, "enteredAt": "2026-11-01T00:00:00.000Z"} for lead in page], (
            page[-1] if len(remaining) > limit else None
        )

    def lead_events(self, lead_id):
        return self.events.get(lead_id, [])


def interval(segment_id, entered, exited=None, cause="m1"):
    return {
        "segmentId": segment_id,
        "enteredAt": entered,
        "exitedAt": exited,
        "cause": {"entered": cause, "exited": None if exited is None else "merge:known"},
        "definitionVersion": "v1",
    }


@pytest.fixture
def leads():
    store = MemoryLeads()
    demo_at = NOW - timedelta(days=14)
    state = apply_events(
        LeadState.new("known"),
        [LeadEvent(message_id="m1", type="track", event="demo_requested", timestamp=demo_at)],
        DEFINITIONS,
    ).with_memberships({"hot": demo_at})
    store.add(
        LeadRecord(lead_id="known", state=state, aliases=["anon"]),
        intervals=[interval("hot", "2026-10-19T09:00:00.000Z")],
        events=[stored_event("known", "m1", demo_at)],
    )
    store.add(
        LeadRecord(lead_id="anon", state=LeadState.new("anon"), merged_into="known"),
        intervals=[interval("hot", "2026-10-01T09:00:00.000Z", "2026-10-19T09:00:00.000Z", cause="m0")],
        events=[stored_event("anon", "m0", demo_at - timedelta(days=1))],
    )
    return store


@pytest.fixture
def admin(leads):
    return LeadAdmin(leads, leads, lambda: DEFINITIONS, lambda: NOW)


@pytest.mark.parametrize("asked", ["known", "anon"])
def test_a_lead_is_answered_as_the_known_lead(admin, asked):
    view = admin.lead(asked)
    assert (view.lead_id, view.aliases, view.segments) == ("known", ["anon"], ["hot"])


def test_score_is_decayed_to_now_and_max_score_is_the_peak(admin):
    # Given 60 points earned one half-life ago
    view = admin.lead("known")
    # Then the score is half of it, the band follows the score, and the peak stays
    assert (view.score, view.band, view.max_score) == (30.0, "Warm", 60.0)


@pytest.mark.parametrize("asked", ["known", "anon"])
def test_history_includes_the_aliases_intervals_in_time_order(admin, asked):
    history = admin.history(asked).history
    assert [(h.lead_id, h.entered_at, h.exited_at) for h in history] == [
        ("anon", "2026-10-01T09:00:00.000Z", "2026-10-19T09:00:00.000Z"),
        ("known", "2026-10-19T09:00:00.000Z", None),
    ]


@pytest.mark.parametrize("asked", ["known", "anon"])
def test_events_include_the_aliases_events(admin, asked):
    page = admin.events(asked, limit=10, cursor=None)
    assert [e.messageId for e in page.events] == ["m0", "m1"]


def test_events_of_a_lead_not_processed_yet_are_still_shown(admin, leads):
    leads.events["fresh"] = [stored_event("fresh", "m9", NOW)]
    assert [e.messageId for e in admin.events("fresh", limit=10, cursor=None).events] == ["m9"]


@pytest.mark.parametrize("read", ["lead", "history"])
def test_unknown_lead_is_not_found(admin, read):
    with pytest.raises(NotFound):
        getattr(admin, read)("nobody")


def test_members_page_through_with_an_opaque_cursor(admin, leads):
    # Given five members
    for n in range(4):
        leads.add(
            LeadRecord(
                lead_id=f"lead-{n}",
                state=LeadState.new(f"lead-{n}").model_copy(update={"members": {"hot": 1}}),
            )
        )
    # When they are read two at a time
    seen, cursor, pages = [], None, 0
    while True:
        page = admin.members("hot", limit=2, cursor=cursor)
        seen += [m.lead_id for m in page.members]
        pages += 1
        if page.cursor is None:
            break
        cursor = page.cursor
    # Then every member comes once, in three pages
    assert (sorted(seen), pages) == (sorted(["known", "lead-0", "lead-1", "lead-2", "lead-3"]), 3)
