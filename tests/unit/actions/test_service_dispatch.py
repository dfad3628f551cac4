"""ActionsService dispatches webhook and EventBridge actions, once each per delivery id."""

from datetime import UTC, datetime

import pytest

from leadwire.actions.secrets import SecretError
from leadwire.actions.service import ActionsFailed, ActionsService, Channels
from leadwire.actions.webhooks import WebhookResult
from leadwire.core.fires import Fire
from leadwire.core.rules import parse_definitions
from leadwire.core.triggers import parse_triggers

from .fakes import Deferrals, MemoryLog

NOW = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)
DEFINITIONS = parse_definitions(
    {"segments": [{"id": "hot-leads", "name": "Hot", "condition": {"score": {"gte": 50}}}]}
)
TRIGGER = parse_triggers(
    [
        {
            "id": "hot",
            "on": {"enter": "hot-leads"},
            "actions": [
                {"type": "webhook", "url": "https://crm.example.com/h", "secret": "env:S"},
                {"type": "eventbridge", "detail_type": "Hot lead"},
            ],
        }
    ],
    {"hot-leads"},
)[0]
FIRE = Fire(fire_id="f1", trigger_id="hot", lead_id="ann", cause="m1", at=NOW)


class Webhooks:
    def __init__(self, *results):
        self.results = list(results)
        self.sent = []

    def send(self, url, secret_ref, msg_id, payload, *, allow_private):
        self.sent.append((url, msg_id, payload))
        return self.results.pop(0)


class Bus:
    bus_name = "default"

    def __init__(self):
        self.events = []

    def put(self, detail_type, detail):
        self.events.append((detail_type, detail))
        return f"e{len(self.events)}"


class Leads:
    def read(self, lead_id, *, at_least=0):
        return None


def service(log, webhooks, bus):
    channels = Channels(webhooks=webhooks, event_bus=bus)
    return ActionsService(
        {"hot": TRIGGER}, DEFINITIONS, Leads(), None, log, Deferrals(), lambda: NOW, channels=channels
    )


def test_a_transient_webhook_failure_raises_after_the_other_actions_and_the_retry_sends_only_it():
    log, bus = MemoryLog(), Bus()
    failing = Webhooks(WebhookResult("failed", True, {"attempts": 4, "statusCode": 503}))
    with pytest.raises(ActionsFailed):
        service(log, failing, bus).handle(FIRE)
    assert log.items["f1-0"]["status"] == "failed"
    assert log.items["f1-1"]["status"] == "sent"
    assert len(bus.events) == 1
    assert failing.sent[0][2]["type"] == "leadwire.trigger.fired"

    retried = Webhooks(WebhookResult("sent", False, {"attempts": 1, "statusCode": 200}))
    assert service(log, retried, bus).handle(FIRE).summary == "fired"
    assert [msg_id for _, msg_id, _ in retried.sent] == ["f1-0"]  # the same webhook id
    assert len(bus.events) == 1  # already sent: not put again
    assert log.items["f1-0"]["status"] == "sent"

    again = Webhooks()
    assert service(log, again, bus).handle(FIRE).summary == "fired"
    assert again.sent == []


def test_a_permanent_webhook_failure_is_logged_and_not_retried():
    log, bus = MemoryLog(), Bus()
    webhooks = Webhooks(WebhookResult("failed", False, {"attempts": 1, "statusCode": 400}))
    assert service(log, webhooks, bus).handle(FIRE).summary == "fired"
    assert log.items["f1-0"]["status"] == "rejected"


@pytest.mark.parametrize(
    ("on", "detail_type"),
    [
        ({"enter": "hot-leads"}, "leadwire.segment.entered"),
        ({"exit": "hot-leads"}, "leadwire.segment.exited"),
        ({"event": "demo_requested"}, "leadwire.trigger.fired"),
    ],
)
def test_a_bus_event_without_detail_type_gets_the_documented_one(on, detail_type):
    [trigger] = parse_triggers([{"id": "t", "on": on, "actions": [{"type": "eventbridge"}]}], {"hot-leads"})
    log, bus = MemoryLog(), Bus()
    channels = Channels(event_bus=bus)
    fire = Fire(fire_id="f9", trigger_id="t", lead_id="ann", cause="m1", at=NOW)
    ActionsService(
        {"t": trigger}, DEFINITIONS, Leads(), None, log, Deferrals(), lambda: NOW, channels=channels
    ).handle(fire)
    [(put_type, detail)] = bus.events
    assert put_type == detail_type
    assert (detail["triggerId"], detail["leadId"], detail["deliveryId"]) == ("t", "ann", "f9-0")
    assert detail.get("segmentId") == on.get("enter", on.get("exit"))
    assert log.items["f9-0"]["detailType"] == detail_type


class RaisingWebhooks:
    def __init__(self, error):
        self.error = error

    def send(self, url, secret_ref, msg_id, payload, *, allow_private):
        raise self.error


def test_a_secret_or_url_reference_that_does_not_exist_is_rejected_not_retried():
    log, bus = MemoryLog(), Bus()
    missing = RaisingWebhooks(SecretError("secret ssm:/leadwire/crm: no such SSM parameter"))
    assert service(log, missing, bus).handle(FIRE).summary == "fired"  # nothing to retry
    assert log.items["f1-0"]["status"] == "rejected"
    assert "no such SSM parameter" in log.items["f1-0"]["error"]


def test_a_secret_store_that_is_unavailable_is_retried():
    log, bus = MemoryLog(), Bus()
    with pytest.raises(ActionsFailed, match="throttled"):
        service(log, RaisingWebhooks(RuntimeError("ssm throttled")), bus).handle(FIRE)
    assert log.items["f1-0"]["status"] == "failed"
