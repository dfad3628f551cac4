"""Spike alerts on the local runtime: a segment swinging more than its alert allows pauses the
triggers that start on entering it, says so on the bus and on GET /triggers/{id}, until resumed."""

import json
from datetime import UTC, datetime

import boto3
import pytest

from leadwire.local.runtime import EVENT_BUS_NAME, REGION, LocalRuntime
from tests.integration.local_api import WRITE_KEY, LocalApi, track

CONFIG = {
    "scoring": {"rules": [{"event": "visit", "points": 5}]},
    "segments": [
        {
            "id": "hot",
            "name": "Hot",
            "condition": {"score": {"gte": 5}},
            "alerts": {"max_change": 0.5, "within": "PT1H", "min_change": 2},
        }
    ],
    "triggers": [{"id": "hot-bus", "on": {"enter": "hot"}, "actions": [{"type": "eventbridge"}]}],
}


@pytest.fixture
def api(tmp_path):
    (tmp_path / "spike.json").write_text(json.dumps(CONFIG))
    runtime = LocalRuntime(
        {WRITE_KEY: "website"}, config_dir=tmp_path, clock_start=datetime(2026, 9, 1, tzinfo=UTC)
    )
    yield LocalApi(runtime)
    runtime.close()


def visit_at(api, instant, *leads):
    api.post("/_local/clock", {"to": instant})
    api.send(*(track(lead, "visit", timestamp=instant) for lead in leads))
    api.drain()


def fired_for(api):
    _, outbox = api.get("/_local/outbox")
    return sorted(m["leadId"] for m in outbox["messages"] if m["triggerId"] == "hot-bus")


def spike_queue():
    sqs = boto3.client("sqs", region_name=REGION)
    url = sqs.create_queue(QueueName="spikes")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events = boto3.client("events", region_name=REGION)
    events.put_rule(
        Name="spikes",
        EventBusName=EVENT_BUS_NAME,
        EventPattern=json.dumps({"detail-type": ["leadwire.segment.spike"]}),
    )
    events.put_targets(Rule="spikes", EventBusName=EVENT_BUS_NAME, Targets=[{"Id": "q", "Arn": arn}])
    return sqs, url


def test_a_spike_pauses_enter_triggers_until_resumed(api):
    sqs, url = spike_queue()
    # Given one lead entered (a net change of 1, under min_change 2): its trigger fires
    visit_at(api, "2026-09-01T10:00:00Z", "a")
    assert fired_for(api) == ["a"]
    # When three more enter within the hour after the window of the first (+3 from 1: 300%)
    visit_at(api, "2026-09-01T12:00:00Z", "b", "c", "d")
    # Then nothing fires for them, the trigger shows why, and the bus heard it once
    assert fired_for(api) == ["a"]
    status, trigger = api.get("/triggers/hot-bus")
    assert status == 200
    assert trigger["paused"]["at"] == "2026-09-01T12:00:00.000Z"
    assert "hot" in trigger["paused"]["reason"]
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    assert len(messages) == 1
    detail = json.loads(messages[0]["Body"])["detail"]
    assert (detail["segmentId"], detail["pausedTriggers"]) == ("hot", ["hot-bus"])

    # When it is resumed, later entries fire again (the swing before the resume no longer counts)
    api.post("/_local/clock", {"to": "2026-09-01T12:10:00Z"})
    status, resumed = api.post("/triggers/hot-bus/resume", {})
    assert status == 200
    assert "paused" not in resumed
    visit_at(api, "2026-09-01T12:30:00Z", "e")
    assert fired_for(api) == ["a", "e"]
    assert "paused" not in api.get("/triggers/hot-bus")[1]


def test_resume_of_an_unknown_trigger_is_404(api):
    status, body = api.post("/triggers/nope/resume", {})
    assert status == 404
    assert body["error"]["code"] == "not_found"
