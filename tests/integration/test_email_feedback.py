"""The feedback Lambda on moto: SNS-wrapped SES records in SQS -> lead events and confirmed deliveries."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from leadwire import container, schema
from leadwire.dal.delivery_store import delivery_view
from leadwire.dal.event_store import EventStore
from leadwire.feedback import handler
from leadwire.local.lambda_context import LocalLambdaContext
from tests.integration.conftest import TABLE

LEAD = "lead-42"
SES_ID = "0100019a-feedback-000000"
DELIVERY = "7d41e8-0"


def _tags() -> dict[str, list[str]]:
    lead = base64.urlsafe_b64encode(LEAD.encode()).decode().rstrip("=")
    return {"leadwire-lead": [lead], "leadwire-trigger": ["welcome"], "leadwire-delivery": [DELIVERY]}


def ses_record(event_type: str, **detail: Any) -> dict[str, Any]:
    mail = {
        "timestamp": "2026-11-02T09:00:00.000Z",
        "messageId": SES_ID,
        "destination": ["ada@example.com"],
        "tags": _tags(),
    }
    return {"eventType": event_type, "mail": mail, **detail}


def sqs_event(*records: dict[str, Any], raw: bool = False, sent: str = "1793523600000") -> dict[str, Any]:
    def body(record: dict[str, Any]) -> str:
        if raw:
            return json.dumps(record)
        return json.dumps({"Type": "Notification", "MessageId": "sns-1", "Message": json.dumps(record)})

    return {
        "Records": [
            {
                "messageId": f"sqs-{index}",
                "receiptHandle": "r",
                "body": body(record),
                "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": sent},
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:feedback",
                "awsRegion": "us-east-1",
            }
            for index, record in enumerate(records)
        ]
    }


@pytest.fixture
def feedback(dynamodb, monkeypatch):
    monkeypatch.setenv("TABLE_NAME", TABLE)
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")
    container.reset()
    yield lambda event: handler.lambda_handler(event, LocalLambdaContext("leadwire-feedback"))
    container.reset()


def put_delivery(dynamodb) -> None:
    dynamodb.put_item(
        TableName=TABLE,
        Item={
            schema.PK: {"S": schema.lead_pk(LEAD)},
            schema.SK: {"S": f"{schema.DELIVERY_PREFIX}{DELIVERY}"},
            "deliveryId": {"S": DELIVERY},
            "channel": {"S": "email"},
            "triggerId": {"S": "welcome"},
            "leadId": {"S": LEAD},
            "fireId": {"S": "fire-7"},
            "status": {"S": "sent"},
            "at": {"S": "2026-11-02T09:00:00.000Z"},
            "details": {"S": "{}"},
        },
    )


def items(dynamodb) -> list[dict[str, Any]]:
    return dynamodb.scan(TableName=TABLE)["Items"]


def test_feedback_writes_lead_events_and_confirms_the_delivery(dynamodb, feedback) -> None:
    # Given an email delivery Leadwire logged, and SES's Send, Delivery and Open for it
    put_delivery(dynamodb)
    event = sqs_event(
        ses_record("Send", send={}),
        ses_record("Delivery", delivery={"timestamp": "2026-11-02T09:00:02.000Z", "processingTimeMillis": 2}),
        ses_record("Open", open={"timestamp": "2026-11-02T10:00:00.000Z"}),
    )
    # When the feedback Lambda gets them in one SQS batch
    result = feedback(event)
    # Then every record succeeded, the lead has the delivered and opened events
    assert result == {"batchItemFailures": []}
    events = sorted(EventStore(dynamodb, TABLE).lead_events(LEAD), key=lambda e: e.timestamp)
    assert [(e.event, e.source, e.properties["ses_message_id"]) for e in events] == [
        ("email_delivered", "ses", SES_ID),
        ("email_opened", "ses", SES_ID),
    ]
    # and the delivery item records the SES message id and when SES accepted it, status untouched
    (delivery,) = [i for i in items(dynamodb) if i[schema.SK]["S"].startswith(schema.DELIVERY_PREFIX)]
    view = delivery_view(delivery)
    assert (view["sesMessageId"], view["acceptedAt"], view["status"]) == (
        SES_ID,
        "2026-11-02T09:00:00.000Z",
        "sent",
    )


def test_a_redelivered_message_writes_nothing_new(dynamodb, feedback) -> None:
    # Given a bounce that was already handled
    put_delivery(dynamodb)
    bounce = ses_record(
        "Bounce",
        bounce={"bounceType": "Permanent", "bounceSubType": "General", "timestamp": "2026-11-02T09:00:03Z"},
    )
    feedback(sqs_event(bounce))
    before = items(dynamodb)
    # When SQS delivers the same message again (raw delivery shape works the same)
    assert feedback(sqs_event(bounce)) == {"batchItemFailures": []}
    assert feedback(sqs_event(bounce, raw=True)) == {"batchItemFailures": []}
    # Then the table holds exactly the same items, byte for byte
    assert sorted(map(json.dumps, items(dynamodb))) == sorted(map(json.dumps, before))
    assert sum(i[schema.SK]["S"].startswith(schema.EVENT_PREFIX) for i in before) == 1


def test_feedback_for_an_unknown_delivery_creates_no_delivery_item(dynamodb, feedback) -> None:
    # Given no delivery item (e.g. the log was written under another table)
    # When SES's Send arrives
    assert feedback(sqs_event(ses_record("Send", send={}))) == {"batchItemFailures": []}
    # Then nothing is created
    assert items(dynamodb) == []


def test_untagged_records_are_ignored_and_malformed_ones_fail_alone(dynamodb, feedback) -> None:
    # Given a batch with someone else's mail, a malformed record and a good one
    foreign = ses_record("Delivery", delivery={"timestamp": "2026-11-02T09:00:02.000Z"})
    foreign["mail"]["tags"] = {"ses:configuration-set": ["leadwire"]}
    broken = ses_record("Bounce", bounce={"bounceType": "Permanent"})  # no bounce.timestamp
    good = ses_record("Complaint", complaint={"timestamp": "2026-11-02T11:00:00.000Z"})
    # When the batch is handled
    result = feedback(sqs_event(foreign, broken, good))
    # Then only the malformed record is reported for retry (and, after maxReceiveCount, the DLQ)
    assert result == {"batchItemFailures": [{"itemIdentifier": "sqs-1"}]}
    assert [e.event for e in EventStore(dynamodb, TABLE).lead_events(LEAD)] == ["email_complained"]
