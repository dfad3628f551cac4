"""Failure injection through the local runtime (moto SES, the real DeliveryStore and stream pump):
a failure at each step of a send, the retries the consumer makes, and the count that matters:
how many emails SES accepted.

Steps: before the send (SES throttles), after the claim before the send (the process dies),
after the send before the record (the process dies), and during the record (the write lands,
the call fails).
"""

import shutil
from datetime import timedelta

import pytest
from botocore.exceptions import ClientError

from leadwire.dal.delivery_store import DeliveryStore
from leadwire.local.runtime import DEFAULT_CONFIG, LocalRuntime

from .local_api import NOW, WRITE_KEY, LocalApi, track

CONFIG = """
triggers:
  - id: demo-confirmation
    on: {event: demo_requested}
    actions:
      - {type: email, template: birthday, channel: transactional}
"""


@pytest.fixture
def api(tmp_path):
    config = tmp_path / "config"
    shutil.copytree(DEFAULT_CONFIG, config)
    (config / "exactly-once.yaml").write_text(CONFIG)
    runtime = LocalRuntime({WRITE_KEY: "tests"}, config_dir=config, clock_start=NOW + timedelta(minutes=1))
    yield LocalApi(runtime)
    runtime.close()


def ses_sent(api):
    from moto.ses.models import ses_backends

    messages = ses_backends["123456789012"]["us-east-1"].sent_messages
    return [m for m in messages if m.subject == "Happy birthday, Ann!"]


def request_demo(api):
    api.send(
        {"type": "identify", "userId": "ann", "traits": {"email": "ann@example.com", "first_name": "Ann"}},
        track("ann", "demo_requested"),
    )
    api.drain()


def deliveries(api):
    _, outbox = api.get("/_local/outbox")
    return [m for m in outbox["messages"] if m["triggerId"] == "demo-confirmation"]


def test_a_throttled_send_is_retried_and_sent_once(api, monkeypatch):
    from leadwire.actions import email

    calls = {"n": 0}
    original = email.SesEmailSender.send

    def throttled_once(self, message):
        calls["n"] += 1
        if calls["n"] == 1:
            raise ClientError(
                {"Error": {"Code": "TooManyRequestsException", "Message": "slow down"}}, "SendEmail"
            )
        return original(self, message)

    monkeypatch.setattr(email.SesEmailSender, "send", throttled_once)
    request_demo(api)
    assert len(ses_sent(api)) == 1
    [delivery] = deliveries(api)
    assert (delivery["status"], delivery["tries"]) == ("sent", 2)


class Crash(Exception):
    """The process dies here; the pump retries the record as Lambda would."""


def test_a_crash_after_the_send_before_the_record_is_settled_by_ses_and_not_resent(api, monkeypatch):
    original = DeliveryStore.record_delivery
    crashed = {"n": 0}

    def crash_before_recording_sent(self, fire, delivery_id, channel, status, at, details):
        if status == "sent" and channel == "email" and not crashed["n"]:
            crashed["n"] += 1
            raise Crash("killed after SES accepted the message")
        return original(self, fire, delivery_id, channel, status, at, details)

    monkeypatch.setattr(DeliveryStore, "record_delivery", crash_before_recording_sent)
    request_demo(api)
    assert len(ses_sent(api)) == 1
    [delivery] = deliveries(api)
    assert delivery["status"] == "sending"  # waiting for SES's word, not resent
    assert delivery["sesMessageId"]  # SES's Send event arrived through the feedback consumer
    api.post("/_local/clock", {"advance": "PT6M"})
    [delivery] = deliveries(api)
    assert (delivery["status"], delivery["confirmedBy"]) == ("sent", "ses")
    assert len(ses_sent(api)) == 1


def test_a_record_that_lands_but_reports_failure_sends_nothing_more(api, monkeypatch):
    original = DeliveryStore.record_delivery
    failed = {"n": 0}

    def lands_then_fails(self, fire, delivery_id, channel, status, at, details):
        original(self, fire, delivery_id, channel, status, at, details)
        if status == "sent" and channel == "email" and not failed["n"]:
            failed["n"] += 1
            raise ClientError({"Error": {"Code": "InternalServerError", "Message": "lost reply"}}, "PutItem")

    monkeypatch.setattr(DeliveryStore, "record_delivery", lands_then_fails)
    request_demo(api)
    assert len(ses_sent(api)) == 1
    [delivery] = deliveries(api)
    assert delivery["status"] == "sent"


def test_a_crash_after_the_claim_before_the_send_sends_once_the_window_passes(api, monkeypatch):
    original = DeliveryStore.claim_delivery
    crashed = {"n": 0}

    def claim_then_crash(self, *args, **kwargs):
        claimed = original(self, *args, **kwargs)
        if not crashed["n"]:
            crashed["n"] += 1
            raise Crash("killed between the claim and the SES call")
        return claimed

    monkeypatch.setattr(DeliveryStore, "claim_delivery", claim_then_crash)
    request_demo(api)
    assert ses_sent(api) == []
    [delivery] = deliveries(api)
    assert delivery["status"] == "sending"  # SES never saw it; looked at again when the window ends
    api.post("/_local/clock", {"advance": "PT6M"})
    assert len(ses_sent(api)) == 1
    [delivery] = deliveries(api)
    assert (delivery["status"], delivery["tries"]) == ("sent", 2)
