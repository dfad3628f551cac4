"""In-memory fakes of the admin API's ports: the definitions source, the override store, jobs."""

from datetime import UTC, datetime

import pytest

from leadwire.admin.segments import SegmentAdmin
from leadwire.admin.triggers import TriggerAdmin
from leadwire.core.definitions_doc import SegmentOverride, TriggerOverride, effective_document
from leadwire.core.jobs import Job
from leadwire.dal.definition_store import DefinitionConflict

NOW = datetime(2026, 11, 2, 9, tzinfo=UTC)

BUNDLED = {
    "segments": [
        {"id": "hot", "name": "Hot", "condition": {"score": {"gte": 50}}},
        {"id": "pricing", "name": "Pricing", "condition": {"performed": {"event": "page_viewed"}}},
        {
            "id": "ready",
            "name": "Ready",
            "condition": {"all": [{"in_segment": "pricing"}, {"score": {"gte": 40}}]},
        },
    ],
    "scoring": {"rules": [{"event": "demo_requested", "points": 30}]},
    "triggers": [
        {
            "id": "welcome-ready",
            "on": {"enter": "ready"},
            "actions": [{"type": "eventbridge", "detail_type": "ready"}],
        },
        {
            "id": "pricing-ping",
            "on": {"event": "page_viewed"},
            "only_if": {"in_segment": "ready"},
            "actions": [{"type": "emit_event", "event": "pricing_seen"}],
        },
    ],
}


class MemoryOverrides:
    """DefinitionStore's semantics: one versioned item per segment or trigger, ``None`` a tombstone."""

    def __init__(self):
        self.items: dict[str, SegmentOverride] = {}
        self.triggers: dict[str, TriggerOverride] = {}
        self.puts = []
        self.trigger_puts = []

    def trigger_overrides(self):
        return list(self.triggers.values())

    def put_trigger(self, trigger_id, document, expected_version):
        current = self.triggers.get(trigger_id)
        if (current.version if current else 0) != expected_version:
            raise DefinitionConflict(
                f"trigger {trigger_id!r} was changed concurrently", {"triggerId": trigger_id}
            )
        version = expected_version + 1
        self.triggers[trigger_id] = TriggerOverride(trigger_id=trigger_id, document=document, version=version)
        self.trigger_puts.append((trigger_id, document, expected_version))
        return version

    def overrides(self):
        return list(self.items.values())

    def put(self, segment_id, document, expected_version):
        current = self.items.get(segment_id)
        if (current.version if current else 0) != expected_version:
            raise DefinitionConflict(
                f"segment {segment_id!r} was changed concurrently", {"segmentId": segment_id}
            )
        version = expected_version + 1
        self.items[segment_id] = SegmentOverride(segment_id=segment_id, document=document, version=version)
        self.puts.append((segment_id, document, expected_version))
        return version


class MemorySource:
    """DefinitionsSource over the fakes: the bundled document with the overrides on top."""

    def __init__(self, store):
        self.store = store
        self.invalidations = 0

    def document(self):
        return effective_document(BUNDLED, self.store.overrides(), self.store.trigger_overrides())

    def invalidate(self):
        self.invalidations += 1


class JobLog:
    def __init__(self):
        self.reasons = []

    def __call__(self, reason):
        self.reasons.append(reason)
        return Job(
            job_id=f"job-{len(self.reasons)}", reason=reason, created_at=NOW, updated_at=NOW, version=1
        )


@pytest.fixture
def store():
    return MemoryOverrides()


@pytest.fixture
def source(store):
    return MemorySource(store)


@pytest.fixture
def jobs():
    return JobLog()


@pytest.fixture
def segments(source, store, jobs):
    return SegmentAdmin(source, store, jobs)


@pytest.fixture
def triggers(source, store):
    return TriggerAdmin(source, store)


def trigger(trigger_id="docs-ping", **fields):
    return {
        "id": trigger_id,
        "on": fields.pop("on", {"enter": "pricing"}),
        "actions": fields.pop("actions", [{"type": "eventbridge", "detail_type": "ping"}]),
        **fields,
    }


def segment(segment_id="docs", **fields):
    return {
        "id": segment_id,
        "name": fields.pop("name", segment_id.title()),
        "condition": fields.pop("condition", {"performed": {"event": "page_viewed"}}),
        **fields,
    }
