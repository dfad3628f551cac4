"""Lead-state items: format 2 round-trips, is smaller than format 1, and format 1 still loads."""

import zlib
from datetime import UTC, datetime, timedelta

from pydantic import TypeAdapter

from leadwire.core.capacity import item_size
from leadwire.core.leads import LeadRecord, Transition
from leadwire.core.rules import Definitions, LeadEvent, LeadState, MembershipChange, apply_events
from leadwire.dal.lead_items import lead_from_item, lead_to_item, outbox_from_text, outbox_to_text
from tests.legacy_shapes import format_1_lead_item

AT = datetime(2026, 11, 20, 10, 0, 5, 250_000, tzinfo=UTC)


def transitions() -> list[Transition]:
    return [
        Transition(
            change=MembershipChange(segment_id="hot-leads", kind="entered", at=AT),
            cause="msg-1",
            entered_at=AT,
            definition_version="abc123",
        ),
        Transition(
            change=MembershipChange(segment_id="warm-leads", kind="exited", at=AT),
            cause="time",
            entered_at=datetime(2026, 11, 1, tzinfo=UTC),
            definition_version="def456",
        ),
    ]


def test_the_compact_outbox_round_trips_to_the_millisecond():
    assert outbox_from_text(outbox_to_text(transitions())) == transitions()


def test_the_compact_outbox_is_under_half_the_size_of_the_model_json():
    legacy = TypeAdapter(list[Transition]).dump_json(transitions())
    assert len(outbox_to_text(transitions())) * 2 < len(legacy)


def test_a_record_with_an_outbox_round_trips_through_its_item():
    record = LeadRecord.new("l-1").model_copy(update={"version": 3, "outbox": transitions()})
    assert lead_from_item(lead_to_item(record, 3)) == record


def busy_record() -> LeadRecord:
    state = apply_events(
        LeadState.new("l-2"),
        [
            LeadEvent(message_id=f"m-{i}", type="track", event="pricing_viewed", timestamp=AT)
            for i in range(30)
        ],
        Definitions(),
    )
    return LeadRecord(
        lead_id="l-2", state=state, version=7, evaluated_at=AT, next_flip_at=AT + timedelta(days=3)
    )


def test_a_format_2_item_round_trips_with_its_tokens_as_bytes():
    record = busy_record()
    item = lead_to_item(record, 7)
    assert item["f"] == {"N": "2"}
    assert len(item["rb"]["B"]) == 6 * 30
    assert '"r"' not in item["s"]["S"]
    assert lead_from_item(item) == record


def rich_record() -> LeadRecord:
    """A lead with traits and history: its state is several hundred bytes of JSON."""
    traits = {"email": "ann@example.com", "plan": "trial", "company": "Example Industries"}
    traits |= {f"utm_{n}": f"campaign-{n}-autumn" for n in range(12)}
    state = busy_record().state.model_copy(update={"traits": traits})
    return busy_record().model_copy(update={"state": state})


def test_a_long_state_is_stored_compressed_and_a_short_one_as_text():
    record = rich_record()
    item = lead_to_item(record, 7)
    text = record.state.model_copy(update={"recent": ""}).to_json()
    assert lead_from_item(item) == record
    assert "s" not in item
    assert len(item["sz"]["B"]) < len(text) * 0.7
    short = lead_to_item(LeadRecord.new("l-3"), 1)
    assert "sz" not in short
    assert lead_from_item(short).state == LeadState.new("l-3")


def test_a_state_stored_as_text_by_an_earlier_release_still_loads():
    record = rich_record()
    item = lead_to_item(record, 7)
    item["s"] = {"S": zlib.decompress(item.pop("sz")["B"]).decode()}
    assert lead_from_item(item) == record


def test_a_format_2_item_is_smaller_than_format_1():
    record = busy_record()
    assert item_size(lead_to_item(record, 7)) < item_size(format_1_lead_item(record)) - 60


def test_a_format_1_item_still_loads():
    record = busy_record()
    assert lead_from_item(format_1_lead_item(record)) == record


def test_changes_of_one_instant_and_cause_share_them_once():
    same = [
        Transition(
            change=MembershipChange(segment_id=segment, kind=kind, at=AT),
            cause="msg-9",
            entered_at=AT if kind == "entered" else datetime(2026, 11, 2, tzinfo=UTC),
            definition_version="v1",
        )
        for segment, kind in (("hot-leads", "entered"), ("warm-leads", "exited"), ("new-leads", "entered"))
    ]
    text = outbox_to_text(same)
    assert text.count("msg-9") == 1
    assert outbox_from_text(text) == same
