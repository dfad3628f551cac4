"""Lead-state items with the distinct-value sets and visit state (optional fields of format 2)."""

from datetime import UTC, datetime, timedelta

from leadwire.core.leads import LeadRecord
from leadwire.core.rules import LeadEvent, LeadState, apply_events, parse_definitions, untracked_aggregates
from leadwire.dal.lead_items import ITEM_FORMAT, lead_from_item, lead_to_item

AT = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
DEFINITIONS = parse_definitions(
    {
        "segments": [
            {"id": "mt", "name": "MT", "condition": {"performed": {"event": "touch", "distinct": "channel"}}},
            {"id": "rv", "name": "RV", "condition": {"visits": {"count": {"gte": 2}}}},
        ]
    }
)


def test_a_state_with_distinct_values_and_visits_round_trips_through_its_item():
    events = [
        LeadEvent(
            message_id=f"m-{i}",
            type="track",
            event="touch",
            timestamp=AT + timedelta(hours=i),
            properties={"channel": channel},
        )
        for i, channel in enumerate(["email", "web"])
    ]
    state = apply_events(LeadState.new("l-1"), events, DEFINITIONS)
    assert state.visits is not None
    assert len(state.visits.runs) == 2
    record = LeadRecord.new("l-1").model_copy(update={"state": state, "version": 1})
    assert lead_from_item(lead_to_item(record, 1)) == record


def test_an_item_stored_before_them_loads_and_is_rebuilt_once():
    # Given a format-2 item written before distinct sets and visits existed
    old = lead_to_item(
        LeadRecord.new("l-2").model_copy(
            update={
                "state": LeadState(lead_id="l-2", first_seen_at=1_790_000_000, last_seen_at=1_790_000_000)
            }
        ),
        4,
    )
    assert old["f"] == {"N": str(ITEM_FORMAT)}
    assert '"d"' not in old["s"]["S"]  # (short enough to stay text)
    assert '"v"' not in old["s"]["S"]
    # Then it loads with both empty, and the engine sees it must rebuild them from the events
    loaded = lead_from_item(old)
    assert (loaded.state.distinct, loaded.state.visits) == ({}, None)
    assert untracked_aggregates(loaded.state, DEFINITIONS) == {"visits", *DEFINITIONS.plan.distinct}
