"""The stored event item: compact, round-trips, and keyed for dedupe."""

import base64
import json
import random
from datetime import UTC, datetime
from pathlib import Path

from leadwire.core.capacity import item_size
from leadwire.core.instants import iso
from leadwire.core.tracking import parse_message
from leadwire.dal.event_store import from_item, to_item

SAMPLES = Path(__file__).parents[3] / "events_samples" / "segment"
RECEIVED = datetime(2026, 11, 1, 12, tzinfo=UTC)


def stored(raw):
    return parse_message(raw, field="body", received_at=RECEIVED, batch_sent_at=None, source="website")


def test_item_is_keyed_by_lead_and_message_id_only():
    item = to_item(
        stored(
            {
                "type": "track",
                "userId": "u1",
                "event": "x",
                "messageId": "m1",
                "timestamp": "2026-11-01T10:00:00Z",
            }
        )
    )
    assert (item["pk"], item["sk"]) == ({"S": "LEAD#u1"}, {"S": "EVT#m1"})


def test_item_round_trips():
    event = stored(
        {
            "type": "identify",
            "userId": "u1",
            "anonymousId": "a1",
            "messageId": "m2",
            "traits": {"email": "ada@example.com", "company_size": 1200},
        }
    )
    assert from_item(to_item(event)) == event


def test_iso_sorts_in_time_order_with_millisecond_precision():
    assert iso(datetime(2026, 1, 2, 3, 4, 5, 678900, tzinfo=UTC)) == "2026-01-02T03:04:05.678Z"


def test_real_analytics_js_track_fits_in_one_write_unit():
    raw = json.loads((SAMPLES / "analytics_js_track.json").read_text())
    assert item_size(to_item(stored(raw))) <= 1024


def test_the_request_position_round_trips_and_costs_nothing_when_zero():
    event = stored({"type": "track", "userId": "u1", "event": "x", "messageId": "m1"})
    assert "q" not in to_item(event)
    second = event.model_copy(update={"sequence": 7})
    assert to_item(second)["q"] == {"N": "7"}
    assert from_item(to_item(second)).sequence == 7


def page_event():
    return stored(json.loads((SAMPLES / "analytics_js_page.json").read_text()))


def test_a_small_item_keeps_its_payload_readable():
    raw = json.loads((SAMPLES / "analytics_js_track.json").read_text())
    item = to_item(stored(raw))
    assert "d" in item
    assert "dz" not in item


def test_a_payload_that_would_pass_one_write_unit_is_stored_compressed_in_one():
    event = page_event()
    plain = item_size(to_item(event.model_copy(update={"context": {}})))  # sanity: the sample is big
    item = to_item(event)
    assert "d" not in item
    assert isinstance(item["dz"]["B"], bytes)
    assert item_size(item) <= 1024 < plain + len(json.dumps(event.context))
    assert from_item(item) == event


def test_compression_is_deterministic_so_a_resent_event_puts_the_same_item():
    assert to_item(page_event()) == to_item(page_event())


def test_a_compressed_payload_reads_back_from_base64_text_as_lambda_and_moto_hand_it():
    item = to_item(page_event())
    as_text = {**item, "dz": {"B": base64.b64encode(item["dz"]["B"]).decode("ascii")}}
    assert from_item(as_text) == page_event()


def test_a_payload_compression_cannot_bring_under_a_unit_stays_plain():
    noise = base64.b64encode(random.Random(3).randbytes(1100)).decode("ascii")  # compresses to ~3/4
    event = stored(
        {"type": "track", "userId": "u1", "event": "x", "messageId": "m9", "properties": {"n": noise}}
    )
    item = to_item(event)
    assert item_size(item) > 1024
    assert "d" in item
    assert from_item(item) == event
