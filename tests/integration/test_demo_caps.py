"""The demo's priority-caps scene on the local runtime with the default delivery policy (one
marketing email per 16 hours, quiet hours 21:00-08:00 in the lead's zone): the high-priority email
takes the slot at the check-in, the low-priority one waits for the next open slot, which the
quiet hours push to 08:00, and goes out then, once."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from leadwire.local.demo.caps import HIGH_ID, LOW_ID, caps_lead, caps_scene
from leadwire.local.runtime import LocalRuntime

from .local_api import NOW, WRITE_KEY, LocalApi, track
from .test_demo_onsite import caller

BERLIN = ZoneInfo("Europe/Berlin")
MARKETING_CAP = timedelta(hours=16)  # config/default/delivery.yaml
QUIET_END = time(8, 0)


@pytest.fixture
def api():
    runtime = LocalRuntime({WRITE_KEY: "tests"}, clock_start=NOW + timedelta(minutes=1))
    yield LocalApi(runtime)
    runtime.close()


def ses_subjects():
    from moto.ses.models import ses_backends

    return [m.subject for m in ses_backends["123456789012"]["us-east-1"].sent_messages]


def outbox(api):
    _, body = api.get("/_local/outbox")
    return {m["triggerId"]: m for m in body["messages"] if m["triggerId"] in (HIGH_ID, LOW_ID)}


def test_the_low_priority_email_waits_for_the_next_open_slot_and_goes_out_once(api):
    api.send(
        {
            "type": "identify",
            "userId": "ann",
            "traits": {
                "email": "ann@example.com",
                "first_name": "Ann",
                "timezone": "Europe/Berlin",
                "subscriptions": {"email": True},
            },
        },
        track("bo", "trial_signup"),  # no email: caps_lead passes over Bo
        track("ann", "trial_signup"),
    )
    api.drain()
    call = caller(api)
    assert caps_lead(call) == "ann"

    lines = caps_scene(call, "ann")

    sent = outbox(api)
    high, low = sent[HIGH_ID], sent[LOW_ID]
    checkin = datetime.combine((NOW + timedelta(minutes=1)).astimezone(BERLIN).date(), time(10), BERLIN)
    checkin = checkin if checkin > NOW else checkin + timedelta(days=1)
    assert datetime.fromisoformat(high["at"]) == checkin  # the high one takes the slot at once
    slot = checkin + MARKETING_CAP  # 02:00 the next night in Berlin: inside quiet hours
    assert slot.astimezone(BERLIN).time() == time(2, 0)
    next_open = datetime.combine(slot.astimezone(BERLIN).date(), QUIET_END, BERLIN)
    assert low["status"] == "sent"
    assert datetime.fromisoformat(low["at"]) == next_open
    assert ses_subjects().count("We miss you, Ann") == 1
    assert ses_subjects().count("Ann, make your first API call in 5 minutes") == 1
    day = checkin.astimezone(BERLIN).strftime("%Y-%m-%d")
    after = next_open.strftime("%Y-%m-%d")
    assert lines[2] == f"  {day} 10:00 Europe/Berlin: ann checks in (trial_checkin); both triggers fire"
    assert lines[3] == f"    {HIGH_ID} (priority 80): sent at {day} 10:00"
    assert lines[4] == (
        f"    {LOW_ID} (priority 20): deferred_cap, deferred to the cap's next slot {after} 02:00 "
        "(0 ahead of it in line)"
    )
    assert lines[5] == (
        f"  a day later (POST /_local/clock P1D): {LOW_ID} sent at {after} 08:00 "
        "(that slot is in quiet hours: it went out when they ended), with its first delivery id"
    )
