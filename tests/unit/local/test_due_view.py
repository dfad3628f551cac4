"""The local sweep's view of the due index, kept from the stream: same pairs, same order."""

from datetime import UTC, datetime, timedelta

from leadwire import schema
from leadwire.local.due_view import StreamDueView

T0 = datetime(2026, 10, 1, 12, 0, tzinfo=UTC)


class Checkpoints:
    def __init__(self):
        self.through = None

    def checkpoint(self):
        return self.through

    def advance_checkpoint(self, through):
        self.through = through
        return True


def state_record(lead, due_at):
    image = {schema.PK: {"S": schema.lead_pk(lead)}, schema.SK: {"S": schema.STATE_SK}}
    if due_at is not None:
        image[schema.DUE_SK] = {"S": schema.due_sk(due_at.isoformat(), lead)}
    keys = {k: image[k] for k in (schema.PK, schema.SK)}
    return {"eventName": "MODIFY", "dynamodb": {"Keys": keys, "NewImage": image}}


def test_due_leads_are_those_in_the_window_in_instant_then_lead_order():
    view = StreamDueView(Checkpoints())
    view.observe(state_record("b", T0 + timedelta(minutes=5)))
    view.observe(state_record("a", T0 + timedelta(minutes=5)))
    view.observe(state_record("c", T0 + timedelta(minutes=1)))
    view.observe(state_record("late", T0 + timedelta(hours=3)))
    assert [lead for _, lead in view.due_leads(T0, T0 + timedelta(hours=1))] == ["c", "a", "b"]
    assert view.next_due(T0 + timedelta(minutes=1), T0 + timedelta(days=1)) == T0 + timedelta(minutes=5)


def test_a_lead_no_longer_due_or_due_later_follows_its_latest_state():
    view = StreamDueView(Checkpoints())
    view.observe(state_record("a", T0))
    view.observe(state_record("b", T0))
    view.observe(state_record("a", None))  # nothing pending any more
    view.observe(state_record("b", T0 + timedelta(days=2)))
    assert not view.any_due(T0 + timedelta(days=1))
    assert list(view.due_leads(T0 - timedelta(hours=1), T0 + timedelta(days=1))) == []


def test_other_items_are_ignored_and_the_checkpoint_is_the_tables():
    checkpoints = Checkpoints()
    view = StreamDueView(checkpoints)
    event_keys = {schema.PK: {"S": schema.lead_pk("a")}, schema.SK: {"S": "EVT#m1"}}
    view.observe({"eventName": "INSERT", "dynamodb": {"Keys": event_keys, "NewImage": event_keys}})
    assert not view.any_due(T0 + timedelta(days=999))
    view.advance_checkpoint(T0)
    assert view.checkpoint() == T0
