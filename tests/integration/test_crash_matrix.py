"""The crash matrix of sends: every channel, a crash at every step, and whole-batch redelivery.

One fire with four actions (email, webhook, bus event, derived event) runs on the local runtime
(moto SES behind the SES simulator, a signed-webhook receiver, a rule on the bus into SQS, the
real stream pump with Lambda's retry and bisect). One step of one channel's send crashes once
(the process dies: the record is retried as Lambda retries it), or the whole batch of FIRE
records is delivered twice. Then time runs past SES's confirmation window and the receivers are
counted: each channel's effect happened exactly once, and every delivery is logged ``sent``.

The steps follow ``actions/gate.py`` (the exactly-once gate); a derived event has no provider
but the table, so its "claim" is the event write (keyed by its message id) and its "provider
accepted" is the moment before the log write.
"""

import dataclasses
import shutil
from datetime import timedelta

import pytest

from leadwire import schema
from leadwire.actions import service as actions_service
from leadwire.dal.delivery_store import DeliveryStore
from leadwire.dal.event_store import EventStore
from leadwire.local.demo.world import BusTap
from leadwire.local.runtime import DEFAULT_CONFIG, EVENT_BUS_NAME, LocalRuntime
from leadwire.local.webhook_receiver import WebhookReceiver

from .local_api import NOW, WRITE_KEY, LocalApi, track

TRIGGER = "crash-matrix"
DERIVED = "demo_acknowledged"
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SUBJECT = "Happy birthday, Ann!"  # the birthday template, sent as transactional email

STEPS = (
    "before_claim",  # the delivery is not marked yet
    "after_claim",  # marked ``sending``, the provider never called
    "after_provider_accepted",  # the provider took it; the log still says ``sending``
    "after_log_write",  # ``sent`` is logged; the record is retried all the same
    "batch_redelivered",  # no crash: the whole batch of FIRE records arrives twice
)
CHANNELS = ("email", "webhook", "eventbridge", "event")
SENDABLES = {"email": "email_sendable", "webhook": "webhook_sendable", "eventbridge": "eventbridge_sendable"}


class Crash(RuntimeError):
    """The process dies here."""


class Injector:
    """Crashes one step of one channel's send, once, for one trigger only (the matrix's)."""

    def __init__(self, step: str, channel: str, trigger: str = TRIGGER) -> None:
        self.step, self.channel, self.trigger = step, channel, trigger
        self.crashed = 0

    def crash_if(self, step: str, channel: str) -> None:
        if (step, channel) == (self.step, self.channel) and not self.crashed:
            self.crashed += 1
            raise Crash(f"{channel}: crash {step}")

    def install(self, monkeypatch: pytest.MonkeyPatch, runtime: LocalRuntime) -> None:
        claim, record, put_events = (
            DeliveryStore.claim_delivery,
            DeliveryStore.record_delivery,
            EventStore.put_events,
        )
        injector, trigger = self, self.trigger

        def claim_delivery(store, fire, delivery_id, channel, *args, **kwargs):
            if fire.trigger_id == trigger:
                injector.crash_if("before_claim", channel)
            claimed = claim(store, fire, delivery_id, channel, *args, **kwargs)
            if fire.trigger_id == trigger:
                injector.crash_if("after_claim", channel)
            return claimed

        def record_delivery(store, fire, delivery_id, channel, status, *args, **kwargs):
            mine = fire.trigger_id == trigger and status == "sent"
            if mine and channel == "event":  # the derived event is stored: the log is next
                injector.crash_if("after_provider_accepted", channel)
            recorded = record(store, fire, delivery_id, channel, status, *args, **kwargs)
            if mine:
                injector.crash_if("after_log_write", channel)
            return recorded

        def store_events(store, events):
            derived = any(e.event == DERIVED and e.properties.get("trigger_id") == trigger for e in events)
            if derived:
                injector.crash_if("before_claim", "event")
            put_events(store, events)
            if derived:
                injector.crash_if("after_claim", "event")

        monkeypatch.setattr(DeliveryStore, "claim_delivery", claim_delivery)
        monkeypatch.setattr(DeliveryStore, "record_delivery", record_delivery)
        monkeypatch.setattr(EventStore, "put_events", store_events)
        for channel, name in SENDABLES.items():
            monkeypatch.setattr(
                actions_service, name, self._crashing_after_send(channel, getattr(actions_service, name))
            )
        if self.step == "batch_redelivered":
            (fires,) = [c for c in runtime.pump.consumers if schema.FIRE_INSERT_FILTER in c.filters]
            fires.handler = self._twice(fires.handler)

    def _crashing_after_send(self, channel, make):
        injector = self

        def sendable(action, context, *args, **kwargs):
            made = make(action, context, *args, **kwargs)
            if context.fire.trigger_id != injector.trigger:
                return made

            def send():
                result = made.send()
                injector.crash_if("after_provider_accepted", channel)
                return result

            return dataclasses.replace(made, send=send)

        return sendable

    def _twice(self, handler):
        def redelivered(event, context):
            handler(event, context)
            self.crashed += 1
            return handler(event, context)  # the same batch again, as after a lost response

        return redelivered


@pytest.fixture
def receiver():
    server = WebhookReceiver(SECRET)
    yield server
    server.close()


@pytest.fixture
def api(tmp_path, monkeypatch, receiver):
    monkeypatch.setenv("CRASH_MATRIX_SECRET", SECRET)
    config = tmp_path / "config"
    shutil.copytree(DEFAULT_CONFIG, config)
    (config / "crash-matrix.yaml").write_text(
        f"""
triggers:
  - id: {TRIGGER}
    on: {{event: demo_requested}}
    actions:
      - {{type: email, template: birthday, channel: transactional}}
      - {{type: webhook, url: "{receiver.url()}", secret: "env:CRASH_MATRIX_SECRET"}}
      - {{type: eventbridge, detail_type: Demo requested}}
      - {{type: emit_event, event: {DERIVED}}}
"""
    )
    runtime = LocalRuntime({WRITE_KEY: "tests"}, config_dir=config, clock_start=NOW + timedelta(minutes=1))
    yield LocalApi(runtime)
    runtime.close()


def ses_accepted() -> int:
    from moto.ses.models import ses_backends

    return sum(m.subject == SUBJECT for m in ses_backends["123456789012"]["us-east-1"].sent_messages)


@pytest.mark.parametrize("channel", CHANNELS)
@pytest.mark.parametrize("step", STEPS)
def test_a_crash_at_any_step_of_any_channel_sends_each_action_exactly_once(
    api, receiver, monkeypatch, step, channel
):
    tap = BusTap(EVENT_BUS_NAME)  # a rule on the bus into SQS: what a bus consumer receives
    injector = Injector(step, channel)
    injector.install(monkeypatch, api.runtime)
    api.send(
        {"type": "identify", "userId": "ann", "traits": {"email": "ann@example.com", "first_name": "Ann"}},
        track("ann", "demo_requested"),
    )
    api.drain()
    api.post("/_local/clock", {"advance": "PT10M"})  # past SES's confirmation window
    assert injector.crashed, f"the {step} crash of {channel} never happened"

    webhook_ids = [r.webhook_id for r in receiver.requests if r.verified]
    bus_ids = [event["detail"]["deliveryId"] for event in tap.collect()]
    _, page = api.get("/leads/ann/events", "limit=1000")
    derived = [e for e in page["events"] if e["event"] == DERIVED]
    effects = {
        "email": ses_accepted(),  # SES has no dedupe: the gate must not send twice
        "webhook": len({r.webhook_id for r in receiver.accepted}),  # receivers dedupe on webhook-id
        "eventbridge": len(set(bus_ids)),  # consumers dedupe on detail.deliveryId
        "event": len(derived),  # stored once: keyed by its message id
    }
    assert effects == dict.fromkeys(CHANNELS, 1)  # 0 duplicates, 0 lost
    assert len(set(webhook_ids)) == 1  # a resend (webhook, bus) carries the first send's id
    assert len(set(bus_ids)) == 1
    _, outbox = api.get("/_local/outbox")
    statuses = {m["channel"]: m["status"] for m in outbox["messages"] if m["triggerId"] == TRIGGER}
    assert statuses == dict.fromkeys(CHANNELS, "sent")
