"""Caps that defer by priority, through the local runtime on a simulated clock (moto SES, the real
stream pump, the timer state machine).

Three triggers on one event under a cap of one email a day: the high-priority one is sent now,
the low-priority one waits and is sent the next day (once, with its original delivery id, even
when its wake-up is redelivered), and one whose expiry comes before the next slot is dropped as
``expired`` with its reason. The outcomes are on the deliveries and in the ``Deliveries`` metric.
"""

import json
import shutil
from datetime import datetime, timedelta

import pytest

from leadwire import schema
from leadwire.local.runtime import DEFAULT_CONFIG, TABLE_NAME, LocalRuntime

from .local_api import NOW, WRITE_KEY, LocalApi, track
from .test_crash_matrix import STEPS, Injector

# The file lists the low one first: priority, not the order of definition, decides.
TRIGGERS = """
triggers:
  - id: caps-low
    priority: 10
    expires: P2D
    on: {event: demo_requested}
    actions: [{type: email, template: welcome, channel: transactional}]
  - id: caps-high
    priority: 90
    on: {event: demo_requested}
    actions: [{type: email, template: birthday, channel: transactional}]
  - id: caps-stale
    priority: 5
    expires: PT12H
    on: {event: demo_requested}
    actions: [{type: email, template: we-miss-you, channel: transactional}]
"""
DELIVERY = """
delivery:
  frequency_caps:
    - {channel: email, max: 1, per: P1D}
"""
SUBJECTS = {
    "caps-high": "Happy birthday, Ann!",
    "caps-low": "Welcome aboard, Ann",
    "caps-stale": "We miss you, Ann",
}


@pytest.fixture
def api(tmp_path, monkeypatch):
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "false")
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "Leadwire")
    config = tmp_path / "config"
    config.mkdir()
    for name in ("segments.yaml", "scoring.yaml"):
        shutil.copy(DEFAULT_CONFIG / name, config / name)
    shutil.copytree(DEFAULT_CONFIG / "templates", config / "templates")
    (config / "delivery.yaml").write_text(DELIVERY)
    (config / "triggers.yaml").write_text(TRIGGERS)
    runtime = LocalRuntime({WRITE_KEY: "tests"}, config_dir=config, clock_start=NOW + timedelta(minutes=1))
    yield LocalApi(runtime)
    runtime.close()


def ses_subjects():
    from moto.ses.models import ses_backends

    wanted = set(SUBJECTS.values())
    return [m.subject for m in ses_backends["123456789012"]["us-east-1"].sent_messages if m.subject in wanted]


def deliveries(api):
    _, outbox = api.get("/_local/outbox")
    return {m["triggerId"]: m for m in outbox["messages"] if m["triggerId"] in SUBJECTS}


def counted_deliveries(capsys):
    """``Deliveries`` metric lines (CloudWatch EMF) as (trigger, status)."""
    counted = []
    for line in capsys.readouterr().out.splitlines():
        if not line.startswith("{"):
            continue
        record = json.loads(line)
        for directive in record.get("_aws", {}).get("CloudWatchMetrics", []):
            if any(metric["Name"] == "Deliveries" for metric in directive["Metrics"]):
                counted.append((record["trigger"], record["status"]))
    return counted


def test_the_high_priority_message_is_sent_now_the_low_one_the_next_day_once_and_the_stale_one_expires(
    api, capsys
):
    api.send(
        {"type": "identify", "userId": "ann", "traits": {"email": "ann@example.com", "first_name": "Ann"}},
        track("ann", "demo_requested"),
    )
    api.drain()
    now = deliveries(api)
    assert {t: d["status"] for t, d in now.items()} == {
        "caps-high": "sent",
        "caps-low": "deferred_cap",
        "caps-stale": "expired",
    }
    assert ses_subjects() == [SUBJECTS["caps-high"]]
    sent_at = datetime.fromisoformat(now["caps-high"]["at"])
    low = now["caps-low"]
    assert datetime.fromisoformat(low["until"]) == sent_at + timedelta(days=1)  # the next open slot
    assert (low["priority"], low["ahead"]) == (10, 0)
    stale = now["caps-stale"]
    assert "is after its expiry" in stale["reason"]
    assert datetime.fromisoformat(stale["expiresAt"]) == NOW + timedelta(hours=12)
    assert datetime.fromisoformat(stale["nextPossibleAt"]) >= sent_at + timedelta(days=1)

    api.post("/_local/clock", {"advance": "PT12H"})  # nothing opens before the slot
    assert ses_subjects() == [SUBJECTS["caps-high"]]
    api.post("/_local/clock", {"advance": "PT13H"})  # past the slot: the low one goes out
    later = deliveries(api)
    assert later["caps-low"]["status"] == "sent"
    assert later["caps-low"]["deliveryId"] == low["deliveryId"]  # its original delivery id
    assert datetime.fromisoformat(later["caps-low"]["at"]) == sent_at + timedelta(days=1)
    assert later["caps-stale"]["status"] == "expired"
    assert ses_subjects() == [SUBJECTS["caps-high"], SUBJECTS["caps-low"]]

    redeliver_fires(api, "caps-low")  # every FIRE of the low trigger arrives again
    api.post("/_local/clock", {"advance": "P3D"})
    assert ses_subjects() == [SUBJECTS["caps-high"], SUBJECTS["caps-low"]]  # once each, ever

    counted = counted_deliveries(capsys)
    assert ("caps-low", "deferred_cap") in counted
    assert ("caps-low", "sent") in counted
    assert ("caps-stale", "expired") in counted
    key = {schema.PK: {"S": schema.lead_pk("ann")}, schema.SK: {"S": schema.SEND_LOG_SK}}
    send_log = api.runtime.dynamodb.get_item(TableName=TABLE_NAME, Key=key)["Item"]
    assert "waiting" not in send_log  # the line is empty once the low one was sent


def redeliver_fires(api, trigger_id):
    """Hand the actions consumer every FIRE item of ``trigger_id`` again (a lost response)."""
    from leadwire.actions.handler import handle_fire
    from leadwire.actions.wiring import actions_service

    service = actions_service()
    items = api.runtime.dynamodb.scan(
        TableName=TABLE_NAME,
        FilterExpression="begins_with(#sk, :fire) AND triggerId = :trigger",
        ExpressionAttributeNames={"#sk": schema.SK},
        ExpressionAttributeValues={":fire": {"S": schema.FIRE_PREFIX}, ":trigger": {"S": trigger_id}},
    )["Items"]
    assert len(items) >= 2  # the first fire and its deferred wake-up

    class Record:
        def __init__(self, item):
            self.raw_event = {"dynamodb": {"NewImage": item}}

    for item in items:
        handle_fire(service, Record(item))  # type: ignore[arg-type]


@pytest.mark.parametrize("step", STEPS)
def test_a_crash_at_any_step_of_a_deferred_messages_send_still_sends_it_once_with_its_delivery_id(
    api, monkeypatch, step
):
    """The crash matrix's steps (``test_crash_matrix.py``), hitting the low-priority email when it
    wakes a day later; ``batch_redelivered`` delivers every batch of FIRE records twice."""
    injector = Injector(step, "email", trigger="caps-low")
    injector.install(monkeypatch, api.runtime)
    api.send(
        {"type": "identify", "userId": "ann", "traits": {"email": "ann@example.com", "first_name": "Ann"}},
        track("ann", "demo_requested"),
    )
    api.drain()
    deferred = deliveries(api)["caps-low"]
    assert deferred["status"] == "deferred_cap"
    assert not injector.crashed or step == "batch_redelivered"  # nothing of it was sent yet
    api.post("/_local/clock", {"advance": "P1DT1H"})
    api.post("/_local/clock", {"advance": "PT10M"})  # past SES's confirmation window
    assert injector.crashed, f"the {step} crash never happened"
    sent = deliveries(api)["caps-low"]
    assert (sent["status"], sent["deliveryId"]) == ("sent", deferred["deliveryId"])
    assert ses_subjects().count(SUBJECTS["caps-low"]) == 1
    assert ses_subjects().count(SUBJECTS["caps-high"]) == 1
