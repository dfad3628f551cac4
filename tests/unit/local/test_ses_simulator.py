"""The local SES simulator: which records SES would publish for a send, and their SQS/SNS shape."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from leadwire.core.email.message import EmailMessage, message_tags
from leadwire.core.errors import InvalidRequest, NotFound
from leadwire.local.ses_simulator import MAX_RECEIVES, SimulatedSes

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


class FakeSender:
    def __init__(self) -> None:
        self.sent: list[EmailMessage] = []

    def send(self, message: EmailMessage) -> str:
        self.sent.append(message)
        return f"ses-{len(self.sent)}"


class FakeFeedbackLambda:
    def __init__(self, fail: set[str] | None = None) -> None:
        self.records: list[dict[str, Any]] = []
        self.fail = fail or set()

    def __call__(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        failures = []
        for record in event["Records"]:
            notification = json.loads(record["body"])
            assert notification["Type"] == "Notification"
            ses = json.loads(notification["Message"])
            self.records.append({"sqs": record, "ses": ses})
            if ses["eventType"] in self.fail:
                failures.append({"itemIdentifier": record["messageId"]})
        return {"batchItemFailures": failures}


def message(to: str) -> EmailMessage:
    return EmailMessage(
        to=to,
        from_address="Leadwire <hello@leadwire.example>",
        subject="Welcome",
        text="Hi",
        html="<p>Hi</p>",
        tags=message_tags("ada@example.com", "welcome", "3f9a2c-0"),
        configuration_set="leadwire-local",
    )


def simulator(handler: FakeFeedbackLambda) -> tuple[SimulatedSes, FakeSender]:
    sender = FakeSender()
    return SimulatedSes(sender, lambda: NOW, handler=handler, context=object()), sender


@pytest.mark.parametrize(
    ("to", "types"),
    [
        ("ada@example.com", ["Send", "Delivery"]),
        ("bounce@simulator.amazonses.com", ["Send", "Bounce"]),
        ("ada+bounce@example.com", ["Send", "Bounce"]),
        ("complaint@simulator.amazonses.com", ["Send", "Delivery", "Complaint"]),
        ("Ada <ada+complaint@example.com>", ["Send", "Delivery", "Complaint"]),
        ("suppressionlist@simulator.amazonses.com", ["Send", "Bounce"]),
    ],
)
def test_a_send_queues_what_ses_would_publish(to: str, types: list[str]) -> None:
    feedback = FakeFeedbackLambda()
    ses, sender = simulator(feedback)
    # When an email is sent through the simulator
    ses_message_id = ses.send(message(to))
    # Then it went through the wrapped sender, and the drain hands SES's records to the Lambda
    assert sender.sent[0].to == to
    assert ses.pending == len(types)
    assert ses.drain() == len(types)
    assert [r["ses"]["eventType"] for r in feedback.records] == types
    for record in feedback.records:
        mail = record["ses"]["mail"]
        assert mail["messageId"] == ses_message_id
        assert mail["tags"]["leadwire-lead"] == [message_tags("ada@example.com", "w", "d")["leadwire-lead"]]
        assert mail["tags"]["ses:configuration-set"] == ["leadwire-local"]
    assert ses.drain() == 0


def test_bounce_sub_types_follow_the_mailbox_simulator() -> None:
    feedback = FakeFeedbackLambda()
    ses, _ = simulator(feedback)
    ses.send(message("bounce@simulator.amazonses.com"))
    ses.send(message("suppressionlist@simulator.amazonses.com"))
    ses.drain()
    bounces = [r["ses"]["bounce"] for r in feedback.records if r["ses"]["eventType"] == "Bounce"]
    assert [(b["bounceType"], b["bounceSubType"]) for b in bounces] == [
        ("Permanent", "General"),
        ("Permanent", "Suppressed"),
    ]


def test_engage_injects_opens_and_clicks_for_sent_mail_only() -> None:
    feedback = FakeFeedbackLambda()
    ses, _ = simulator(feedback)
    ses_message_id = ses.send(message("ada@example.com"))
    ses.drain()
    ses.engage(ses_message_id, "open")
    ses.engage(ses_message_id, "click", "https://example.com/pricing")
    ses.drain()
    assert [r["ses"]["eventType"] for r in feedback.records[2:]] == ["Open", "Click"]
    assert feedback.records[3]["ses"]["click"]["link"] == "https://example.com/pricing"
    with pytest.raises(NotFound):
        ses.engage("never-sent", "open")
    with pytest.raises(InvalidRequest, match="link"):
        ses.engage(ses_message_id, "click")
    with pytest.raises(InvalidRequest, match="type"):
        ses.engage(ses_message_id, "forward")


def test_failed_records_are_retried_then_dead_lettered() -> None:
    # Given a feedback Lambda that keeps failing the Delivery record
    feedback = FakeFeedbackLambda(fail={"Delivery"})
    ses, _ = simulator(feedback)
    ses.send(message("ada@example.com"))
    # When the simulator drains until nothing is left
    drains = 0
    while ses.drain():
        drains += 1
    # Then the Delivery was received MAX_RECEIVES times, with the same SentTimestamp each time,
    # and ended in the dead letters
    deliveries = [r["sqs"] for r in feedback.records if r["ses"]["eventType"] == "Delivery"]
    assert len(deliveries) == MAX_RECEIVES == drains
    assert [d["attributes"]["ApproximateReceiveCount"] for d in deliveries] == ["1", "2", "3", "4", "5"]
    assert len({d["attributes"]["SentTimestamp"] for d in deliveries}) == 1
    assert [r["eventType"] for r in ses.dead_letters] == ["Delivery"]
