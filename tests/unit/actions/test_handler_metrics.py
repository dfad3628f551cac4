"""The actions Lambda counts each fire per trigger and variant, and each delivery per trigger,
channel and status, as CloudWatch EMF lines; a redelivered fire counts nothing again."""

import json
from datetime import UTC, datetime

import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

from leadwire.actions import handler
from leadwire.actions.gate import Outcome
from leadwire.actions.service import ActionsFailed, FireOutcome
from leadwire.core.fires import Fire
from leadwire.dal.fire_store import fire_to_item
from leadwire.local.lambda_context import LocalLambdaContext

FIRE = Fire.of("hot-lead-handoff", "ann", "m1", datetime(2026, 11, 24, 12, 0, tzinfo=UTC))


def stream_event(fire):
    return {
        "Records": [
            {
                "eventID": "1",
                "eventName": "INSERT",
                "eventSource": "aws:dynamodb",
                "dynamodb": {"NewImage": fire_to_item(fire), "SequenceNumber": "1"},
            }
        ]
    }


class Service:
    def __init__(self, result):
        self.result = result

    def handle(self, fire):
        if isinstance(self.result, Exception):
            raise self.result
        return self.result


def emf_lines(capsys):
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    counted = []
    for line in lines:
        for directive in line.get("_aws", {}).get("CloudWatchMetrics", []):
            for metric in directive["Metrics"]:
                dims = {d: line[d] for d in directive["Dimensions"][0] if d != "service"}
                counted.append((metric["Name"], dims))
    return counted


@pytest.fixture(autouse=True)
def metrics_on(monkeypatch):
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "false")
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "Leadwire")


def run(monkeypatch, result):
    return handler.lambda_handler(
        stream_event(FIRE), LocalLambdaContext("leadwire-actions"), service=Service(result)
    )


def test_a_fire_and_its_deliveries_are_counted(monkeypatch, capsys):
    outcome = FireOutcome(
        "hot-lead-handoff",
        "fired",
        [Outcome("webhook", "sent"), Outcome("eventbridge", "sent"), Outcome("email", "capped")],
        variant="default",
    )
    assert run(monkeypatch, outcome) == {"batchItemFailures": []}
    counted = emf_lines(capsys)
    assert ("Fires", {"trigger": "hot-lead-handoff", "variant": "default"}) in counted
    for channel, status in (("webhook", "sent"), ("eventbridge", "sent"), ("email", "capped")):
        assert (
            "Deliveries",
            {"trigger": "hot-lead-handoff", "channel": channel, "status": status},
        ) in counted


def test_a_redelivered_fire_counts_nothing(monkeypatch, capsys):
    outcome = FireOutcome(
        "hot-lead-handoff", "fired", [Outcome("webhook", "sent", repeat=True)], variant="default"
    )
    run(monkeypatch, outcome)
    assert [c for c in emf_lines(capsys) if c[0] in {"Fires", "Deliveries"}] == []


def test_a_failed_fire_counts_its_deliveries_but_not_the_fire_until_a_retry_completes(monkeypatch, capsys):
    outcome = FireOutcome(
        "hot-lead-handoff", "fired", [Outcome("webhook", "failed", retry_error="503")], variant="default"
    )
    with pytest.raises(BatchProcessingError):  # every record of the batch failed: Lambda retries it
        run(monkeypatch, ActionsFailed("fire f: 503", outcome))
    counted = emf_lines(capsys)
    assert (
        "Deliveries",
        {"trigger": "hot-lead-handoff", "channel": "webhook", "status": "failed"},
    ) in counted
    assert not [c for c in counted if c[0] == "Fires"]
