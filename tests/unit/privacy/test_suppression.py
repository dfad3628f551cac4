"""The ingestion hook: events naming a suppressed id are dropped and counted, their neighbours kept."""

from datetime import UTC, datetime

from leadwire.core.tracking import StoredEvent
from leadwire.privacy.suppression import SuppressingSink

AT = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def event(message_id, lead, **ids):
    return StoredEvent(
        message_id=message_id,
        type="track",
        lead_id=lead,
        event="x",
        timestamp=AT,
        received_at=AT,
        source="t",
        **ids,
    )


class Sink:
    def __init__(self):
        self.stored = []

    def put_events(self, events):
        self.stored += [e.message_id for e in events]


class Suppressions:
    def __init__(self, *ids):
        self.ids = set(ids)
        self.counted = {}
        self.asked = []

    def suppressed(self, lead_ids):
        self.asked.append(set(lead_ids))
        return self.ids & set(lead_ids)

    def count_dropped(self, lead_id, events):
        self.counted[lead_id] = self.counted.get(lead_id, 0) + events


def test_events_naming_a_suppressed_id_anywhere_are_dropped_and_counted_and_neighbours_kept():
    sink, suppressions, dropped = Sink(), Suppressions("ann", "anon-1"), []
    hook = SuppressingSink(sink, suppressions, dropped.append)
    hook.put_events(
        [
            event("m1", "ann", user_id="ann"),
            event("m2", "bob", user_id="bob"),
            event("m3", "carl", user_id="carl", anonymous_id="anon-1"),  # an erased anonymous id
            event("m4", "dana", user_id="dana", previous_id="anon-1"),  # an alias of one
        ]
    )
    assert sink.stored == ["m2"]
    assert suppressions.counted == {"ann": 1, "anon-1": 2}
    assert dropped == [3]
    assert suppressions.asked == [{"ann", "bob", "carl", "dana", "anon-1"}]  # one lookup per request


def test_nothing_suppressed_stores_everything_and_counts_nothing():
    sink, dropped = Sink(), []
    SuppressingSink(sink, Suppressions(), dropped.append).put_events([event("m1", "ann"), event("m2", "bob")])
    assert sink.stored == ["m1", "m2"]
    assert dropped == []
