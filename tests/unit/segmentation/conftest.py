"""In-memory fakes of the engine's ports, and a small definition set."""

from datetime import UTC, datetime, timedelta

import pytest

from leadwire.core.leads import VersionConflict
from leadwire.core.rules import parse_definitions
from leadwire.core.tracking import StoredEvent

T0 = datetime(2026, 9, 1, 9, 0, tzinfo=UTC)


class MemoryLeads:
    """LeadPort with the store's version semantics, and a switch to inject conflicts."""

    def __init__(self):
        self.records = {}
        self.saves = []
        self.conflicts_to_inject = 0
        self.loads = 0

    def load(self, lead_id, *, fresh=False):
        self.loads += 1
        record = self.records.get(lead_id)
        return record.model_copy(deep=True) if record else None

    def save(self, record, transitions):
        current = self.records.get(record.lead_id)
        if self.conflicts_to_inject:
            self.conflicts_to_inject -= 1
            raise VersionConflict(record.lead_id)
        if (current.version if current else 0) != record.version:
            raise VersionConflict(record.lead_id)
        stored = record.model_copy(update={"version": record.version + 1})
        self.records[record.lead_id] = stored
        self.saves.append((record.lead_id, list(transitions)))
        return stored

    def transitions(self, lead_id=None):
        return [
            (t.change.segment_id, t.change.kind, t.change.at, t.cause)
            for saved_lead, batch in self.saves
            for t in batch
            if lead_id is None or saved_lead == lead_id
        ]


class MemoryHistory:
    def __init__(self):
        self.events = {}

    def add(self, events):
        for event in events:
            self.events.setdefault(event.lead_id, []).append(event)

    def lead_events(self, lead_id):
        return list(self.events.get(lead_id, []))


class Clock:
    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now


DEFINITIONS = {
    "segments": [
        {"id": "hot", "name": "Hot", "condition": {"score": {"gte": 50}}, "exit_when": {"score": {"lt": 45}}},
        {"id": "trial", "name": "Trial", "condition": {"performed": {"event": "trial_signup"}}},
        {"id": "active", "name": "Active", "condition": {"last_activity": {"within": "P7D"}}},
        {
            "id": "stalled",
            "name": "Stalled",
            "condition": {
                "all": [
                    {"in_segment": "trial"},
                    {"last_activity": {"older_than": "P14D"}},
                    {"not": {"performed": {"event": "api_call"}}},
                ]
            },
        },
    ],
    "scoring": {
        "rules": [
            {"event": "trial_signup", "points": 30},
            {"event": "demo_requested", "points": 30},
            {"event": "api_call", "points": 2, "max_per_day": 10},
        ]
    },
}


@pytest.fixture
def definitions():
    return parse_definitions(DEFINITIONS)


@pytest.fixture
def leads():
    return MemoryLeads()


@pytest.fixture
def history():
    return MemoryHistory()


@pytest.fixture
def clock():
    return Clock(T0 + timedelta(days=60))


counter = iter(range(1_000_000))


def event(
    lead,
    name=None,
    at=T0,
    *,
    type="track",
    user_id=None,
    anonymous_id=None,
    previous_id=None,
    traits=None,
    message_id=None,
):
    return StoredEvent(
        message_id=message_id or f"m{next(counter)}",
        type=type,
        lead_id=lead,
        event=name,
        timestamp=at,
        received_at=at,
        source="test",
        user_id=user_id if user_id is not None else (lead if anonymous_id is None else None),
        anonymous_id=anonymous_id,
        previous_id=previous_id,
        traits=traits or {},
    )
