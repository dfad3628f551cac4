"""Lead-state items: the compact outbox round-trips and is smaller than the model's JSON."""

from datetime import UTC, datetime

from pydantic import TypeAdapter

from leadwire.core.leads import LeadRecord, Transition
from leadwire.core.rules import MembershipChange
from leadwire.dal.lead_items import lead_from_item, lead_to_item, outbox_from_text, outbox_to_text

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
