"""Webhook and EventBridge actions end to end: a lead turns hot, a local receiver gets one signed
delivery (after a 500 it answers first), and one event goes to the default bus."""

import base64
import json
import shutil
from datetime import timedelta

import boto3
import pytest

from leadwire.config_loader import ConfigError
from leadwire.local.runtime import DEFAULT_CONFIG, EVENT_BUS_NAME, LocalRuntime
from leadwire.local.webhook_receiver import WebhookReceiver

from .local_api import NOW, WRITE_KEY, LocalApi, track

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


@pytest.fixture
def receiver():
    """Answers 500 to the first request and 200 after; checks each signature."""
    server = WebhookReceiver(SECRET, fail_first=1)
    yield server
    server.close()


def config_with(tmp_path, webhooks_yaml):
    """The default config plus ``webhooks.yaml``."""
    config = tmp_path / "config"
    shutil.copytree(DEFAULT_CONFIG, config)
    (config / "webhooks.yaml").write_text(webhooks_yaml)
    return config


@pytest.fixture
def api(tmp_path, monkeypatch, receiver):
    monkeypatch.setenv("LEADWIRE_TEST_SECRET", SECRET)
    config = config_with(
        tmp_path,
        f"""
triggers:
  - id: hot-lead-webhook
    on: {{enter: hot-leads}}
    actions:
      - {{type: webhook, url: "http://127.0.0.1:{receiver.port}/hook", secret: "env:LEADWIRE_TEST_SECRET"}}
      - {{type: eventbridge, detail_type: Hot lead}}
""",
    )
    runtime = LocalRuntime({WRITE_KEY: "tests"}, config_dir=config, clock_start=NOW + timedelta(minutes=1))
    yield LocalApi(runtime)
    runtime.close()


def bus_queue():
    """A rule on leadwire local's bus that copies leadwire events to an SQS queue."""
    sqs = boto3.client("sqs", region_name="us-east-1")
    queue_url = sqs.create_queue(QueueName="leadwire-bus-tap")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    events = boto3.client("events", region_name="us-east-1")
    events.put_rule(
        Name="leadwire-tap", EventBusName=EVENT_BUS_NAME, EventPattern=json.dumps({"source": ["leadwire"]})
    )
    events.put_targets(
        Rule="leadwire-tap", EventBusName=EVENT_BUS_NAME, Targets=[{"Id": "q", "Arn": queue_arn}]
    )
    return sqs, queue_url


def test_a_lead_turning_hot_calls_the_webhook_once_and_puts_one_bus_event(api, receiver):
    sqs, queue_url = bus_queue()
    api.send(track("ann", "demo_requested"), track("ann", "trial_signup"))
    api.drain()

    assert [(r.status, r.verified) for r in receiver.requests] == [(500, True), (200, True)]
    assert len({r.webhook_id for r in receiver.requests}) == 1
    [delivered] = receiver.accepted
    assert delivered.path == "/hook"
    payload = delivered.payload
    assert payload["type"] == "leadwire.trigger.fired"
    assert payload["data"]["triggerId"] == "hot-lead-webhook"
    assert payload["data"]["leadId"] == "ann"
    assert payload["data"]["lead"]["score"] >= 50
    why = payload["data"]["why"]  # every handoff says why: segments since when, score and band
    assert why["band"] in {"Hot", "Very Hot"}
    assert "hot-leads" in [segment["segmentId"] for segment in why["segments"]]

    _, outbox = api.get("/_local/outbox")
    mine = [m for m in outbox["messages"] if m["triggerId"] == "hot-lead-webhook"]
    webhooks = [m for m in mine if m["channel"] == "webhook"]
    assert [(m["status"], m["attempts"], m["statusCode"], m["webhookId"]) for m in webhooks] == [
        ("sent", 2, 200, delivered.webhook_id)
    ]
    bus = [m for m in mine if m["channel"] == "eventbridge"]
    assert [(m["status"], m["detailType"]) for m in bus] == [("sent", "Hot lead")]

    received = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)["Messages"]
    messages = [m for m in received if json.loads(m["Body"])["detail"]["triggerId"] == "hot-lead-webhook"]
    assert len(messages) == 1
    event = json.loads(messages[0]["Body"])
    assert (event["source"], event["detail-type"]) == ("leadwire", "Hot lead")
    assert event["detail"]["leadId"] == "ann"

    # More activity while already hot fires nothing new.
    api.send(track("ann", "demo_requested"))
    api.drain()
    assert len(receiver.requests) == 2


@pytest.mark.parametrize("value", ["a-plain-string", "whsec_not base64!"])
def test_a_webhook_secret_no_receiver_can_verify_is_refused_at_config_load(tmp_path, monkeypatch, value):
    # Given a config whose webhook secret variable holds something that is not a whsec_ secret
    monkeypatch.setenv("LEADWIRE_PLAIN_SECRET", value)
    config = config_with(
        tmp_path,
        """
triggers:
  - id: plain-secret-hook
    on: {enter: hot-leads}
    actions:
      - {type: webhook, url: "http://127.0.0.1:9/hook", secret: "env:LEADWIRE_PLAIN_SECRET"}
""",
    )
    # When leadwire local loads it
    with pytest.raises(ConfigError) as refused:
        LocalRuntime({WRITE_KEY: "tests"}, config_dir=config, clock_start=NOW)
    # Then it refuses, naming the directory, the trigger's path and the reference (not the value)
    message = str(refused.value)
    assert str(config) in message
    assert "(plain-secret-hook).actions[0].secret: env:LEADWIRE_PLAIN_SECRET" in message
    assert "not a Standard Webhooks secret" in message
    assert value.removeprefix("whsec_") not in message


def test_an_unpadded_whsec_secret_signs_deliveries_the_receiver_verifies(tmp_path, monkeypatch):
    # Given the webhook secret without its base64 '=' padding, and a receiver with the padded one
    padded = "whsec_" + base64.b64encode(b"an unpadded secret of 32 bytes!!").decode()
    assert padded.endswith("=")
    receiver = WebhookReceiver(padded)
    monkeypatch.setenv("LEADWIRE_TEST_SECRET", padded.rstrip("="))
    config = config_with(
        tmp_path,
        f"""
triggers:
  - id: hot-lead-webhook
    on: {{enter: hot-leads}}
    actions:
      - {{type: webhook, url: "http://127.0.0.1:{receiver.port}/hook", secret: "env:LEADWIRE_TEST_SECRET"}}
""",
    )
    runtime = LocalRuntime({WRITE_KEY: "tests"}, config_dir=config, clock_start=NOW + timedelta(minutes=1))
    try:
        api = LocalApi(runtime)
        # When a lead turns hot
        api.send(track("ann", "demo_requested"), track("ann", "trial_signup"))
        api.drain()
        # Then one delivery arrives, with a signature the receiver verifies
        assert [(r.status, r.verified) for r in receiver.requests] == [(200, True)]
    finally:
        runtime.close()
        receiver.close()
