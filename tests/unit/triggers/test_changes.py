"""Membership changes read from history items on the stream: pages, and interval items before them."""

from datetime import UTC, datetime

from leadwire.core.leads import Transition
from leadwire.core.rules import MembershipChange
from leadwire.dal.lead_items import history_entry_item, history_page_item
from leadwire.stream_records import TableChange
from leadwire.triggers.changes import membership_changes

ENTERED = datetime(2026, 11, 20, 10, tzinfo=UTC)
LEFT = datetime(2026, 11, 21, 9, 30, tzinfo=UTC)


def record(event_name: str, old, new) -> TableChange:
    """A history record of the stream, as the reactions consumer reads it."""
    return TableChange(event_name, new["sk"]["S"], "1", new, old)


def transition(segment: str, kind: str, at: datetime) -> Transition:
    return Transition(
        change=MembershipChange(segment_id=segment, kind=kind, at=at),
        cause="m-1",
        entered_at=ENTERED,
        definition_version="v1",
    )


def test_a_new_page_is_each_of_its_changes_in_order():
    page = history_page_item(
        "l-1", 4, [transition("hot", "entered", ENTERED), transition("warm", "exited", LEFT)]
    )
    changes = membership_changes(record("INSERT", None, page))
    assert [(c.lead_id, c.segment_id, c.kind, c.at) for c in changes] == [
        ("l-1", "hot", "enter", ENTERED),
        ("l-1", "warm", "exit", LEFT),
    ]
    # each says the version the lead was saved with, which its fire carries to the actions
    assert [c.lead_version for c in changes] == [4, 4]


def test_a_page_carries_the_change_ids_interval_items_carried():
    # the fire id hashes the change id: a change read from a page or an item fires once
    enter = transition("hot", "entered", ENTERED)
    from_page = membership_changes(record("INSERT", None, history_page_item("l-1", 4, [enter])))
    from_item = membership_changes(record("INSERT", None, history_entry_item("l-1", enter)))
    assert [c.change_id for c in from_page] == [c.change_id for c in from_item]
    assert [c.lead_version for c in from_item] == [0]  # an interval item does not say


def test_a_page_put_again_is_nothing_new():
    page = history_page_item("l-1", 4, [transition("hot", "entered", ENTERED)])
    assert membership_changes(record("MODIFY", page, page)) == []
