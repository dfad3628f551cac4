"""Held writes of a stream batch: summed counters, de-duplicated puts, log before markers."""

from typing import Any

import pytest

from leadwire import schema
from leadwire.core.capacity import CapacityMeter
from leadwire.dal.write_batch import LOG, MARKERS, WriteBatch

TABLE = "t"


class RecordingClient:
    """Records the calls; the first ``unprocessed`` BatchWriteItem calls leave their last item."""

    def __init__(self, unprocessed: int = 0) -> None:
        self.calls: list[tuple[str, Any]] = []
        self._unprocessed = unprocessed

    def update_item(self, **kwargs: Any) -> dict[str, Any]:
        """Records ``("add", (pk, sk, {counter: delta}))`` from an ``ADD #a :a, ...`` update."""
        key, names, values = (
            kwargs["Key"],
            kwargs["ExpressionAttributeNames"],
            kwargs["ExpressionAttributeValues"],
        )
        clauses = kwargs["UpdateExpression"].removeprefix("ADD ").split(", ")
        added = {names[name]: values[value]["N"] for name, value in (clause.split() for clause in clauses)}
        self.calls.append(("add", (key["pk"]["S"], key["sk"]["S"], added)))
        return {"Attributes": {**key, **{name: {"N": "1"} for name in added}}}

    def batch_write_item(self, RequestItems: dict[str, Any]) -> dict[str, Any]:
        requests = RequestItems[TABLE]
        self.calls.append(("batch", [_written(r) for r in requests]))
        if self._unprocessed:
            self._unprocessed -= 1
            return {"UnprocessedItems": {TABLE: requests[-1:]}}
        return {}


def _written(request: dict[str, Any]) -> str:
    if "PutRequest" in request:
        return str(request["PutRequest"]["Item"]["sk"]["S"])
    return "-" + str(request["DeleteRequest"]["Key"]["sk"]["S"])


def item(pk: str, sk: str) -> dict[str, dict[str, Any]]:
    return {schema.PK: {"S": pk}, schema.SK: {"S": sk}, "x": {"S": "1"}}


def key(pk: str, sk: str) -> dict[str, dict[str, Any]]:
    return {schema.PK: {"S": pk}, schema.SK: {"S": sk}}


COUNTS0, COUNTS1 = key("STATS#0", "COUNTS"), key("STATS#1", "COUNTS")


def test_counter_changes_are_summed_per_counter_and_zero_sums_are_not_written() -> None:
    client, meter = RecordingClient(), CapacityMeter()
    batch = WriteBatch(client, TABLE, meter)
    for delta in (1, 1, 1, -1):
        batch.add(COUNTS0, delta, kind="segment_stats", counter="SEG#hot")
    batch.add(COUNTS1, counter="SEG#hot", delta=1, kind="segment_stats")
    batch.add(COUNTS0, counter="SEG#warm", delta=1, kind="segment_stats")
    batch.add(COUNTS0, counter="SEG#warm", delta=-1, kind="segment_stats")  # in and out within the batch
    batch.flush()
    assert client.calls == [
        ("add", ("STATS#0", "COUNTS", {"SEG#hot": "2"})),
        ("add", ("STATS#1", "COUNTS", {"SEG#hot": "1"})),
    ]
    assert meter.write_units == 2


def test_the_counters_of_one_item_move_in_one_update_of_at_most_fifty() -> None:
    client, meter = RecordingClient(), CapacityMeter()
    batch = WriteBatch(client, TABLE, meter)
    for n in range(60):
        batch.add(COUNTS0, counter=f"SEG#a-segment-with-a-long-id-{n:02}", delta=n + 1, kind="segment_stats")
    batch.add(COUNTS0, counter="LEADS", delta=3, kind="segment_stats")
    batch.flush()
    assert [len(added) for _, (_, _, added) in client.calls] == [50, 11]
    moved = {name: delta for _, (_, _, added) in client.calls for name, delta in added.items()}
    assert moved == {**{f"SEG#a-segment-with-a-long-id-{n:02}": str(n + 1) for n in range(60)}, "LEADS": "3"}
    assert meter.write_units == 2 + 1  # billed on the item answered: 50 such counters exceed 1 KB


def test_log_items_go_before_markers_25_a_call_and_a_key_once() -> None:
    # (and counter sums after both: see the next-but-two test)
    client = RecordingClient()
    batch = WriteBatch(client, TABLE, CapacityMeter())
    batch.put(item("H", "page-1"), kind="history", phase=MARKERS)
    for n in range(30):
        batch.put(item("F", f"flip-{n:02}"), kind="segment_stats", phase=LOG)
    batch.put(item("F", "flip-03"), kind="segment_stats", phase=LOG)  # a repeated delivery
    batch.flush()
    assert [len(sks) for _, sks in client.calls] == [25, 5, 1]
    assert client.calls[-1] == ("batch", ["page-1"])
    assert batch.held == 0


def test_unprocessed_items_are_written_again() -> None:
    client = RecordingClient(unprocessed=2)
    batch = WriteBatch(client, TABLE, CapacityMeter())
    batch.put(item("F", "a"), kind="segment_stats", phase=LOG)
    batch.put(item("F", "b"), kind="segment_stats", phase=LOG)
    batch.flush()
    assert client.calls == [("batch", ["a", "b"]), ("batch", ["b"]), ("batch", ["b"])]


def test_items_never_processed_raise_instead_of_being_lost(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("leadwire.dal.unprocessed.time.sleep", lambda _: None)
    client = RecordingClient(unprocessed=100)
    batch = WriteBatch(client, TABLE, CapacityMeter())
    batch.put(item("F", "a"), kind="segment_stats", phase=LOG)
    with pytest.raises(RuntimeError, match="unprocessed"):
        batch.flush()


def test_a_long_batch_writes_as_it_goes_in_phase_order(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("leadwire.dal.write_batch.MAX_HELD", 3)
    client = RecordingClient()
    batch = WriteBatch(client, TABLE, CapacityMeter())
    batch.put(item("F", "flip-1"), kind="segment_stats", phase=LOG)
    batch.put(item("H", "page-1"), kind="history", phase=MARKERS)
    batch.add(COUNTS0, counter="SEG#hot", delta=1, kind="segment_stats")  # the third held write
    assert client.calls == [
        ("batch", ["flip-1"]),
        ("batch", ["page-1"]),
        ("add", ("STATS#0", "COUNTS", {"SEG#hot": "1"})),
    ]
    assert batch.held == 0


def test_deletes_go_with_puts_and_the_last_write_of_a_key_wins() -> None:
    client = RecordingClient()
    batch = WriteBatch(client, TABLE, CapacityMeter())
    batch.put(item("SEG#hot", "M#ann"), kind="member", phase=LOG)
    batch.delete(key("SEG#warm", "M#ann"), kind="member", phase=LOG)
    batch.delete(key("SEG#hot", "M#ann"), kind="member", phase=LOG)  # entered, then left
    batch.flush()
    assert client.calls == [("batch", ["-M#ann", "-M#ann"])]


def test_a_change_counted_once_per_batch_by_its_token() -> None:
    client = RecordingClient()
    batch = WriteBatch(client, TABLE, CapacityMeter())
    batch.add(COUNTS0, counter="SEG#hot", delta=1, kind="segment_stats", once=("ann", 3, "hot"))
    batch.add(COUNTS0, counter="SEG#hot", delta=1, kind="segment_stats", once=("ann", 3, "hot"))  # again
    batch.add(COUNTS0, counter="SEG#hot", delta=1, kind="segment_stats", once=("bo", 1, "hot"))
    batch.flush()
    batch.add(COUNTS0, counter="SEG#hot", delta=1, kind="segment_stats", once=("ann", 3, "hot"))  # next batch
    batch.flush()
    assert client.calls == [
        ("add", ("STATS#0", "COUNTS", {"SEG#hot": "2"})),
        ("add", ("STATS#0", "COUNTS", {"SEG#hot": "1"})),
    ]
