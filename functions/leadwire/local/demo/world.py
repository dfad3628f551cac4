"""The world around the pipeline in ``make demo``: a CRM that verifies signed webhooks, a consumer
of the bus, recipients who open and click, and the counters that watch the runtime work (the
stream's delivery statuses, the feedback and actions invocations, SES's accepted messages)."""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import boto3

from leadwire.dal.stream_images import delivery_written, is_fire_insert
from leadwire.local.webhook_receiver import WebhookReceiver

REGION = "us-east-1"
MOTO_ACCOUNT = "123456789012"
# The default hot-lead-handoff trigger reads its CRM endpoint and signing secret from SSM.
SALES_WEBHOOK_URL = "/leadwire/sales-webhook-url"
SALES_WEBHOOK_SECRET = "/leadwire/sales-webhook-secret"
CRM_SECRET = "whsec_" + base64.b64encode(b"leadwire-demo-crm-signing-secret").decode()
BUS_TAP = "leadwire-demo-bus-tap"
ENGAGE_AFTER = timedelta(days=14)  # once, this far into the replay: a few recipients open and click
ENGAGED_RECIPIENTS = 3
CLICKED_LINK = "https://app.example.com/pricing"


def wire_crm(receiver: WebhookReceiver) -> None:
    """The two SSM parameters the default hot-lead-handoff trigger reads, in moto."""
    ssm = boto3.client("ssm", region_name=REGION)
    for name, value in ((SALES_WEBHOOK_URL, receiver.url("/crm/leads")), (SALES_WEBHOOK_SECRET, CRM_SECRET)):
        ssm.put_parameter(Name=name, Value=value, Type="SecureString", Overwrite=True)


class BusTap:
    """A rule on the bus the actions put events on, copying leadwire's events to an SQS queue:
    what a consumer of the bus receives."""

    def __init__(self, bus_name: str | None = None) -> None:
        self.bus_name = bus_name or os.environ.get("EVENT_BUS_NAME") or "default"
        self._sqs = boto3.client("sqs", region_name=REGION)
        self._queue_url = self._sqs.create_queue(QueueName=BUS_TAP)["QueueUrl"]
        queue_arn = self._sqs.get_queue_attributes(QueueUrl=self._queue_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        events = boto3.client("events", region_name=REGION)
        pattern = json.dumps({"source": ["leadwire"]})
        events.put_rule(Name=BUS_TAP, EventBusName=self.bus_name, EventPattern=pattern)
        events.put_targets(
            Rule=BUS_TAP, EventBusName=self.bus_name, Targets=[{"Id": "demo", "Arn": queue_arn}]
        )
        self.received: list[dict[str, Any]] = []

    def collect(self) -> list[dict[str, Any]]:
        """Every event delivered so far (the queue is read to the end and emptied)."""
        while True:
            messages = self._sqs.receive_message(QueueUrl=self._queue_url, MaxNumberOfMessages=10).get(
                "Messages", []
            )
            if not messages:
                return self.received
            self.received.extend(json.loads(message["Body"]) for message in messages)
            self._sqs.delete_message_batch(
                QueueUrl=self._queue_url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)],
            )


@dataclass
class DeliveryTrail:
    """Every status each delivery went through, read from the table's stream (the outbox shows
    only the last one: an email deferred by quiet hours and sent in the morning says ``sent``)."""

    statuses: dict[str, list[str]] = field(default_factory=dict)

    def observe(self, record: dict[str, Any]) -> None:
        delivery = delivery_written(record)
        if delivery is None:
            return
        status = delivery["status"]
        trail = self.statuses.setdefault(delivery["deliveryId"], [])
        if not trail or trail[-1] != status:
            trail.append(status)


class FeedbackInvocations:
    """Counts the feedback Lambda's invocations: each drain of the simulated SES's queue that
    hands it a batch is one."""

    def __init__(self, ses: Any) -> None:
        self.count = 0
        drain: Callable[[], int] = ses.drain

        def counted() -> int:
            delivered = drain()
            self.count += 1 if delivered else 0
            return delivered

        ses.drain = counted


class FireBatches:
    """Counts the reactions consumer's invocations that held a fire (what the actions cost in
    Lambda invocations; its other batches are the triggers' and run on every event batch anyway)."""

    def __init__(self, consumer: Any) -> None:
        self.count = 0
        handler = consumer.handler

        def counted(event: dict[str, Any], context: Any) -> Any:
            self.count += any(is_fire_insert(record) for record in event["Records"])
            return handler(event, context)

        consumer.handler = counted


def stream_consumer(runtime: Any, name: str) -> Any:
    return next(consumer for consumer in runtime.pump.consumers if consumer.name == name)


def ses_accepted() -> int:
    """The messages moto's SES accepted (SESv2 sends through the SES v1 backend)."""
    from moto.ses.models import ses_backends

    return len(ses_backends[MOTO_ACCOUNT][REGION].sent_messages)


def engage(call: Callable[..., Any], recipients: int = ENGAGED_RECIPIENTS) -> None:
    """A few recipients open their latest email and all but one click in it: SES publishes an Open
    and a Click, which come back as ``email_opened``/``email_clicked`` (scores, email-engaged)."""
    outbox = call("GET", "/_local/outbox")["messages"]
    chosen: dict[str, dict[str, Any]] = {}
    for message in reversed(outbox):
        to = str(message.get("to", ""))
        if message["channel"] == "email" and message.get("sesMessageId") and "+" not in to.split("@")[0]:
            chosen.setdefault(message["leadId"], message)
        if len(chosen) == recipients:
            break
    before = {lead: call("GET", f"/leads/{lead}") for lead in chosen}
    for index, message in enumerate(chosen.values()):
        call("POST", "/_local/email-events", {"messageId": message["sesMessageId"], "type": "open"})
        if index < len(chosen) - 1:
            call(
                "POST",
                "/_local/email-events",
                {"messageId": message["sesMessageId"], "type": "click", "link": CLICKED_LINK},
            )
    now = call("POST", "/_local/drain")["now"]
    print(
        f"  {now[:16]} {len(chosen)} recipients open an email, {max(len(chosen) - 1, 0)} click in it "
        "(POST /_local/email-events):"
    )
    for index, (lead, message) in enumerate(chosen.items()):
        after = call("GET", f"/leads/{lead}")
        engaged = "now in email-engaged" if "email-engaged" in after["segments"] else "not in email-engaged"
        print(
            f"    {message['to']:34s} {'opens, clicks' if index < len(chosen) - 1 else 'opens':13s} "
            f'"{message["subject"][:40]}"  score {before[lead]["score"]:.1f} -> {after["score"]:.1f}, '
            f"{engaged}"
        )
