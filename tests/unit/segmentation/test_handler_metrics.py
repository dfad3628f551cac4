"""The segmentation Lambda counts the segment flips its batch made (``SegmentChanges``, the
dashboard's flips per minute), and only those of leads that were processed."""

import contextlib
import json

import pytest

from leadwire.dal.event_store import to_item
from leadwire.local.lambda_context import LocalLambdaContext
from leadwire.segmentation import handler
from leadwire.segmentation.engine import Outcome
from tests.unit.segmentation.conftest import event


class Engine:
    """Flips ``flips[lead]`` segments for each lead; raises for a lead mapped to an exception."""

    def __init__(self, flips):
        self.flips = flips

    def held_writes(self):
        return contextlib.nullcontext()

    def process(self, lead_id, events):
        result = self.flips[lead_id]
        if isinstance(result, Exception):
            raise result
        return Outcome(lead_id=lead_id, applied=len(events), transitions=[object()] * result)


class NoPoison:
    def send(self, poison, function_arn):
        assert poison == []
        return set()


def stream_event(*leads):
    return {
        "Records": [
            {
                "eventID": str(i),
                "eventName": "INSERT",
                "eventSource": "aws:dynamodb",
                "dynamodb": {"NewImage": to_item(event(lead)), "SequenceNumber": str(i)},
            }
            for i, lead in enumerate(leads, start=1)
        ]
    }


def counted(capsys, name):
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    return [line[name] for line in lines if name in line]


@pytest.fixture(autouse=True)
def metrics_on(monkeypatch):
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "false")


def test_flips_of_every_processed_lead_are_counted(capsys):
    # Given a batch of three leads: two flip segments, one fails
    engine = Engine({"ann": 2, "bob": 0, "cy": RuntimeError("x")})
    # When the handler processes it
    response = handler.lambda_handler(
        stream_event("ann", "bob", "cy"), LocalLambdaContext("leadwire-seg"), engine=engine, poison=NoPoison()
    )
    # Then the failed lead's record is reported, and SegmentChanges counts the two flips
    assert response == {"batchItemFailures": [{"itemIdentifier": "3"}]}
    assert counted(capsys, "SegmentChanges") == [[2.0]]  # EMF: the values put in this invocation
