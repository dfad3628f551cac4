"""Definitions are cached by a version item that every admin write bumps in the same transaction."""

import pytest

from leadwire.core.capacity import CapacityMeter
from leadwire.dal.definition_store import DefinitionConflict, DefinitionStore
from leadwire.definitions_source import DefinitionsSource

from .conftest import TABLE

SEGMENT = {"id": "big", "name": "Big", "condition": {"score": {"gte": 10}}}


def test_every_write_bumps_the_version_and_a_refused_write_does_not(dynamodb):
    store = DefinitionStore(dynamodb, TABLE, meter=CapacityMeter())
    assert store.version() == 0
    store.put("big", SEGMENT, expected_version=0)
    store.put_trigger("t", {"id": "t", "on": {"event": "x"}, "actions": []}, expected_version=0)
    assert store.version() == 2
    with pytest.raises(DefinitionConflict):
        store.put("big", SEGMENT, expected_version=0)  # a stale version is refused...
    assert store.version() == 2  # ...and the transaction leaves the version alone
    assert [o.version for o in store.overrides()] == [1]


def test_the_source_reads_one_small_item_per_call_until_a_write(dynamodb):
    meter = CapacityMeter()
    store = DefinitionStore(dynamodb, TABLE, meter=meter)
    source = DefinitionsSource({"segments": []}, store, cache_seconds=0)
    assert list(source.current().segments) == []
    reads_before = meter.read_units
    for _ in range(5):
        source.current()
    assert meter.read_units - reads_before == pytest.approx(5 * 1.0)  # one consistent GetItem each
    store.put("big", SEGMENT, expected_version=0)
    assert [s.id for s in source.current().segments] == ["big"]
