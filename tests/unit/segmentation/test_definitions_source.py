"""DefinitionsSource: the bundled document with segment and trigger overrides, cached."""

from leadwire.core.definitions_doc import SegmentOverride, TriggerOverride
from leadwire.definitions_source import DefinitionsSource

BUNDLED = {
    "segments": [{"id": "hot", "name": "Hot", "condition": {"score": {"gte": 50}}}],
    "triggers": [
        {
            "id": "hot-ping",
            "on": {"enter": "hot"},
            "actions": [{"type": "eventbridge", "detail_type": "hot"}],
        },
        {"id": "bye", "on": {"exit": "hot"}, "actions": [{"type": "eventbridge", "detail_type": "bye"}]},
    ],
}


class Store:
    """Overrides with the version item the admin writes bump."""

    def __init__(self):
        self.segments: list[SegmentOverride] = []
        self._triggers: list[TriggerOverride] = []
        self.reads = 0
        self.versions_read = 0
        self.current_version = 0

    @property
    def triggers(self):
        return self._triggers

    @triggers.setter
    def triggers(self, value):
        self._triggers = value
        self.current_version += 1

    def version(self):
        self.versions_read += 1
        return self.current_version

    def overrides(self):
        self.reads += 1
        return list(self.segments)

    def trigger_overrides(self):
        return list(self.triggers)


class Ticks:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_triggers_are_the_bundled_ones_replaced_removed_and_added_by_id():
    store = Store()
    store.triggers = [
        TriggerOverride(
            trigger_id="hot-ping",
            document={
                "id": "hot-ping",
                "on": {"exit": "hot"},
                "actions": [{"type": "eventbridge", "detail_type": "x"}],
            },
            version=1,
        ),
        TriggerOverride(trigger_id="bye", document=None, version=1),
        TriggerOverride(
            trigger_id="added",
            document={"id": "added", "on": {"event": "x"}, "actions": [{"type": "emit_event", "event": "y"}]},
            version=1,
        ),
    ]
    triggers = DefinitionsSource(BUNDLED, store).triggers()
    assert [(t.id, t.kind) for t in triggers] == [("hot-ping", "exit"), ("added", "event")]


def test_a_trigger_change_is_seen_after_the_cache_period_or_an_invalidation():
    store, ticks = Store(), Ticks()
    source = DefinitionsSource(BUNDLED, store, cache_seconds=30, monotonic=ticks)
    assert [t.id for t in source.triggers()] == ["hot-ping", "bye"]
    store.triggers = [TriggerOverride(trigger_id="bye", document=None, version=1)]
    # Within the cache period the cached triggers stand (one read of the store)
    ticks.now = 10
    assert [t.id for t in source.triggers()] == ["hot-ping", "bye"]
    assert store.reads == 1
    # After it, or at once after an invalidation, the change is seen
    source.invalidate()
    assert [t.id for t in source.triggers()] == ["hot-ping"]
    store.triggers = []
    ticks.now = 50
    assert [t.id for t in source.triggers()] == ["hot-ping", "bye"]


def test_after_the_cache_period_an_unchanged_version_keeps_the_cache_without_reading_overrides():
    store, ticks = Store(), Ticks()
    source = DefinitionsSource(BUNDLED, store, cache_seconds=0, monotonic=ticks)
    assert [t.id for t in source.triggers()] == ["hot-ping", "bye"]
    for step in range(1, 4):
        ticks.now = step
        source.triggers()
    # Given no write, each call after the period reads the version item only
    assert (store.reads, store.versions_read) == (1, 4)
    # When a write bumps the version, the next call reloads
    store.triggers = [TriggerOverride(trigger_id="bye", document=None, version=1)]
    assert [t.id for t in source.triggers()] == ["hot-ping"]
    assert store.reads == 2


def test_a_write_by_this_process_ends_the_cache_period_at_once():
    store, ticks, written = Store(), Ticks(), [0]
    source = DefinitionsSource(
        BUNDLED, store, cache_seconds=30.0, monotonic=ticks, written_here=lambda: written[0]
    )
    assert [t.id for t in source.triggers()] == ["hot-ping", "bye"]
    # Another process's write waits out the period (still cached 10 s later)
    store.triggers = [TriggerOverride(trigger_id="bye", document=None, version=1)]
    ticks.now = 10.0
    assert [t.id for t in source.triggers()] == ["hot-ping", "bye"]
    assert store.versions_read == 1
    # This process's own write is read at once, and only once
    written[0] += 1
    assert [t.id for t in source.triggers()] == ["hot-ping"]
    assert [t.id for t in source.triggers()] == ["hot-ping"]
    assert store.versions_read == 2
