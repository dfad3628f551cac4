"""The segmentation Lambda fed by the stream pump from moto's real stream records."""

import json

import pytest

from leadwire.dal.lead_store import LeadStore
from leadwire.dal.metering import PROCESS_METER

AUTH = [("authorization", "Basic c2FtcGxlLXdyaXRlLWtleTo="), ("content-type", "application/json")]


def send(runtime, *messages):
    response = runtime.handle(
        "POST", "/v1/batch", "", AUTH, json.dumps({"batch": list(messages)}).encode(), "127.0.0.1"
    )
    assert response.status == 200, response.body
    runtime.drain()


def track(user, name, at, **properties):
    return {"type": "track", "userId": user, "event": name, "timestamp": at, "properties": properties}


@pytest.fixture
def leads(runtime):
    return LeadStore(runtime.dynamodb, "leadwire-local")


def test_events_move_a_lead_into_segments_with_member_and_history_items(runtime, leads):
    send(
        runtime,
        track("u1", "trial_signup", "2026-11-20T10:00:00Z"),
        track("u1", "demo_requested", "2026-11-20T10:05:00Z"),
        {
            "type": "identify",
            "userId": "u1",
            "traits": {"company_size": 5000},
            "timestamp": "2026-11-20T10:06:00Z",
        },
    )
    record = leads.load("u1")
    assert {"trial-users", "hot-leads", "enterprise-prospects"} <= set(record.state.memberships)
    members, _ = leads.members("hot-leads", 10, None)
    assert [m["leadId"] for m in members] == ["u1"]
    history = {h["segmentId"]: h for h in leads.history("u1")}
    assert history["trial-users"]["exitedAt"] is None
    assert history["trial-users"]["enteredAt"] == "2026-11-20T10:00:00.000Z"


def test_a_redelivered_event_is_not_applied_twice(runtime, leads):
    message = {**track("u2", "trial_signup", "2026-11-20T10:00:00Z"), "messageId": "same-id"}
    send(runtime, message)
    version = leads.load("u2").version
    send(runtime, message)  # a resend: AWS emits nothing, moto a MODIFY the filter drops
    assert leads.load("u2").version == version


def test_one_state_read_and_write_per_lead_per_batch(runtime):
    PROCESS_METER.__init__()
    send(runtime, *[track("u3", "api_call", f"2026-11-20T10:{m:02d}:00Z") for m in range(20)])
    # one state item (at most 2 KB) for twenty events, and its outbox cleared once
    assert PROCESS_METER.writes_by_kind["lead"] <= 4


def test_a_failing_lead_does_not_stop_the_others(runtime, leads, monkeypatch):
    from leadwire.segmentation import engine as engine_module

    original = engine_module.SegmentationEngine.process

    def flaky(self, lead_id, events):
        if lead_id == "poison":
            raise RuntimeError("boom")
        return original(self, lead_id, events)

    monkeypatch.setattr(engine_module.SegmentationEngine, "process", flaky)
    send(
        runtime,
        track("poison", "trial_signup", "2026-11-20T10:00:00Z"),
        track("ok", "trial_signup", "2026-11-20T10:00:00Z"),
    )
    assert leads.load("ok") is not None
    assert leads.load("poison") is None
    failures = runtime.sqs.receive_message(QueueUrl=runtime.stream_dlq_url)["Messages"]
    assert json.loads(failures[0]["Body"])["requestContext"]["condition"] == "RetryAttemptsExhausted"


def test_membership_writes_cut_short_by_a_crash_are_finished_on_the_next_load(runtime, leads, monkeypatch):
    from datetime import UTC, datetime

    from leadwire.core.leads import LeadRecord, Transition
    from leadwire.core.rules import MembershipChange

    # Given a save whose history write dies after the state and member writes landed
    at = datetime(2026, 11, 20, 10, tzinfo=UTC)
    change = MembershipChange(segment_id="trial-users", kind="entered", at=at)
    transition = Transition(change=change, cause="m-1", entered_at=at, definition_version="v1")
    record = LeadRecord.new("crash-1")
    record = record.model_copy(update={"state": record.state.with_memberships({"trial-users": at})})
    real_put = runtime.dynamodb.put_item

    def crash_on_history(**kwargs):
        if kwargs["Item"]["sk"]["S"].startswith("HIST#"):
            raise ConnectionError("process killed")
        return real_put(**kwargs)

    monkeypatch.setattr(runtime.dynamodb, "put_item", crash_on_history)
    with pytest.raises(ConnectionError):
        leads.save(record, [transition])
    monkeypatch.undo()
    assert leads.history("crash-1") == []
    # When the lead is loaded again (its next batch, the sweep, a re-evaluation)
    leads.load("crash-1")
    # Then the history interval exists, once, and the member item too
    assert [(h["segmentId"], h["enteredAt"]) for h in leads.history("crash-1")] == [
        ("trial-users", "2026-11-20T10:00:00.000Z")
    ]
    assert [m["leadId"] for m in leads.members("trial-users", 100, None)[0]] == ["crash-1"]


def test_a_delivered_outbox_is_not_written_again(runtime, leads):
    from leadwire.dal.metering import PROCESS_METER

    send(runtime, track("calm-1", "trial_signup", "2026-11-20T10:00:00Z"))
    PROCESS_METER.__init__()
    leads.load("calm-1")
    assert PROCESS_METER.write_units == 0


def test_a_fire_of_a_segment_change_carries_the_lead_version_it_was_saved_with(runtime, leads):
    # Given a lead who enters hot-leads (the default hot-lead handoff fires on it)
    send(
        runtime,
        track("u9", "trial_signup", "2026-11-20T11:57:00Z"),  # live: within the triggers' horizon
        track("u9", "demo_requested", "2026-11-20T11:58:00Z"),
        {
            "type": "identify",
            "userId": "u9",
            "traits": {"company_size": 5000},
            "timestamp": "2026-11-20T11:59:00Z",
        },
    )
    fires = runtime.dynamodb.query(
        TableName="leadwire-local",
        KeyConditionExpression="pk = :pk AND begins_with(sk, :fire)",
        ExpressionAttributeValues={":pk": {"S": "LEAD#u9"}, ":fire": {"S": "FIRE#"}},
    )["Items"]
    handoff = [f for f in fires if f["triggerId"]["S"] == "hot-lead-handoff"]
    # Then its fire says which version of the lead's state it came from (the actions read a copy
    # at least that new, eventually consistently), and that version is stored
    assert len(handoff) == 1
    assert 1 <= int(handoff[0]["lv"]["N"]) <= leads.load("u9").version
