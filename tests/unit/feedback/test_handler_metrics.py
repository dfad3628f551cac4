"""The feedback Lambda counts each SES record by type (EMF), and records it cannot map as ignored."""

import json

import pytest

from leadwire.feedback import handler
from leadwire.feedback.service import FeedbackOutcome
from leadwire.local.lambda_context import LocalLambdaContext


class Service:
    def __init__(self, *outcomes):
        self.outcomes = list(outcomes)

    def handle(self, body, *, received_at, confirmed):
        return self.outcomes.pop(0)


def sqs_event(count):
    return {
        "Records": [
            {
                "messageId": f"m{i}",
                "receiptHandle": "r",
                "body": "{}",
                "attributes": {"SentTimestamp": "1795500000000"},
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:q",
            }
            for i in range(count)
        ]
    }


@pytest.fixture(autouse=True)
def metrics_on(monkeypatch):
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "false")
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "Leadwire")


def metric_values(capsys):
    found = []
    for line in capsys.readouterr().out.splitlines():
        if not line.startswith("{"):
            continue
        data = json.loads(line)
        for directive in data.get("_aws", {}).get("CloudWatchMetrics", []):
            for metric in directive["Metrics"]:
                value = data[metric["Name"]]
                found.append((metric["Name"], data.get("type"), value))
    return found


def test_each_record_is_counted_by_type_and_unmapped_ones_as_ignored(monkeypatch, capsys):
    service = Service(
        FeedbackOutcome("Delivery", False, ("email_delivered",), True),
        FeedbackOutcome("Open", False, ("email_opened",)),
        FeedbackOutcome("Delivery", True),
    )
    monkeypatch.setattr(handler, "feedback_service", lambda: service)
    assert handler.lambda_handler(sqs_event(3), LocalLambdaContext("leadwire-feedback")) == {
        "batchItemFailures": []
    }
    found = metric_values(capsys)
    assert ("EmailFeedback", "Delivery", [1.0]) in found
    assert ("EmailFeedback", "Open", [1.0]) in found
    batch = {name: value for name, kind, value in found if kind is None}
    assert batch == {"EmailFeedbackRecords": [1.0, 1.0, 1.0], "EmailFeedbackIgnored": [1.0]}
