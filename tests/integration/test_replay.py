"""``leadwire replay`` on the local runtime: the reactions consumer (its actions) fails a fire
until its retries are spent, the failure lands in the stream failure queue in Lambda's shape, and
a replay delivers the fire's effect exactly once and empties the queue. Also: a dry run, --max,
and the CLI over HTTP."""

import json
import threading
from datetime import timedelta

import pytest
from aws_lambda_powertools.utilities.parser.models.dynamodb import (
    DynamoDBStreamLambdaOnFailureDestinationModel,
)

from leadwire.local import cli
from leadwire.local.runtime import LocalRuntime
from leadwire.local.server import LocalServer

from .local_api import NOW, WRITE_KEY, LocalApi, track

CONFIG = """
triggers:
  - id: welcome
    on: {event: signup}
    actions:
      - {type: emit_event, event: welcomed}
"""


class Outage:
    """Wraps the reactions consumer's handler: a batch holding a fire crashes while ``down`` (the
    actions' dependency is failing); bisecting isolates the fire, the trigger records pass."""

    def __init__(self, runtime: LocalRuntime) -> None:
        (self.consumer,) = [c for c in runtime.pump.consumers if c.name == "leadwire-reactions"]
        self.handler = self.consumer.handler
        self.down = True
        self.calls = 0
        self.consumer.handler = self

    def __call__(self, event, context):
        fires = [r for r in event["Records"] if r["dynamodb"]["Keys"]["sk"]["S"].startswith("FIRE#")]
        self.calls += bool(fires)  # invocations that reach the actions
        if self.down and fires:
            raise RuntimeError("actions dependency is down")
        return self.handler(event, context)


@pytest.fixture
def api(tmp_path):
    config = tmp_path / "config"
    config.mkdir()
    (config / "triggers.yaml").write_text(CONFIG)
    runtime = LocalRuntime({WRITE_KEY: "tests"}, config_dir=config, clock_start=NOW + timedelta(minutes=1))
    yield LocalApi(runtime)
    runtime.close()


def queued(runtime):
    attributes = runtime.sqs.get_queue_attributes(
        QueueUrl=runtime.stream_dlq_url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(
        attributes["ApproximateNumberOfMessagesNotVisible"]
    )


def welcomes(api):
    _, outbox = api.get("/_local/outbox")
    return [m for m in outbox["messages"] if m["triggerId"] == "welcome"]


def fail_fires(api, lead):
    outage = Outage(api.runtime)
    api.send(track(lead, "signup"))
    api.drain()
    assert outage.calls == 6  # the first invocation and five retries, as the mapping is set
    assert welcomes(api) == []
    outage.down = False
    return outage


def test_a_fire_given_up_on_is_replayed_once_and_leaves_the_queue(api):
    fail_fires(api, "ann")
    assert queued(api.runtime) == 1
    (message,) = api.runtime.sqs.receive_message(QueueUrl=api.runtime.stream_dlq_url, VisibilityTimeout=0)[
        "Messages"
    ]
    failure = json.loads(message["Body"])
    DynamoDBStreamLambdaOnFailureDestinationModel.model_validate(failure)  # Lambda's shape, field by field
    assert failure["requestContext"]["functionArn"].endswith(":function:leadwire-reactions")
    assert failure["responseContext"]["functionError"] == "Unhandled"
    assert failure["DDBStreamBatchInfo"]["batchSize"] == 1

    status, summary = api.post("/_local/replay", {"consumer": "reactions"})
    assert status == 200, summary
    assert summary["ok"] is True
    assert summary["counts"]["replayed"] == 1
    (outcome,) = summary["outcomes"]
    assert (outcome["consumer"], outcome["status"], outcome["records"]) == ("reactions", "replayed", 1)
    assert outcome["withinRetention"] is True

    (delivery,) = welcomes(api)
    assert (delivery["leadId"], delivery["channel"]) == ("ann", "event")
    assert queued(api.runtime) == 0
    _, events = api.get("/leads/ann/events")
    assert [e["event"] for e in events["events"]].count("welcomed") == 1

    # Replaying again finds nothing; the effect stays single.
    status, summary = api.post("/_local/replay", {})
    assert (status, summary["outcomes"]) == (200, [])
    assert len(welcomes(api)) == 1


def test_dry_run_lists_without_replaying(api):
    fail_fires(api, "bob")
    status, summary = api.post("/_local/replay", {"consumer": "all", "dryRun": True})
    assert status == 200, summary
    (outcome,) = summary["outcomes"]
    assert (outcome["consumer"], outcome["status"], outcome["withinRetention"]) == (
        "reactions",
        "pending",
        True,
    )
    assert outcome["records"] == 1
    assert outcome["shardId"]
    assert int(outcome["startSequenceNumber"]) <= int(outcome["endSequenceNumber"])
    assert outcome["firstRecordAt"].endswith("Z")
    assert 0 <= outcome["ageSeconds"] < 600
    assert summary["ok"] is True
    assert welcomes(api) == []
    assert queued(api.runtime) == 1


def test_failures_and_their_age_are_on_the_runtimes_clock(api):
    # Given a fire given up on at the simulated NOW + 1 min (months away from the wall clock)
    fail_fires(api, "cid")
    failed_at = NOW + timedelta(minutes=1)
    (message,) = api.runtime.sqs.receive_message(QueueUrl=api.runtime.stream_dlq_url, VisibilityTimeout=0)[
        "Messages"
    ]
    failure = json.loads(message["Body"])
    assert failure["timestamp"] == "2026-11-02T09:01:00.000Z"
    assert failure["DDBStreamBatchInfo"]["approximateArrivalOfFirstRecord"] == "2026-11-02T09:01:00.000Z"
    # When the clock moves on two hours and a dry run lists it
    status, _ = api.post("/_local/clock", {"advance": "PT2H"})
    assert status == 200
    status, summary = api.post("/_local/replay", {"dryRun": True})
    # Then its age is measured on that clock, not the wall clock
    (outcome,) = summary["outcomes"]
    assert outcome["firstRecordAt"] == failed_at.isoformat().replace("+00:00", "Z")
    assert outcome["ageSeconds"] == 7200


def test_other_consumers_and_max_leave_messages_alone(api):
    fail_fires(api, "cat")
    fail_fires(api, "dan")
    assert queued(api.runtime) == 2
    _, summary = api.post("/_local/replay", {"consumer": "segmentation"})
    assert summary["outcomes"] == []
    assert queued(api.runtime) == 2
    _, summary = api.post("/_local/replay", {"max": 1})
    assert [o["status"] for o in summary["outcomes"]] == ["replayed"]
    assert queued(api.runtime) == 1
    assert len(welcomes(api)) == 1


def test_a_replay_that_fails_again_keeps_the_message(api):
    outage = fail_fires(api, "eve")
    outage.down = True
    _, summary = api.post("/_local/replay", {})
    (outcome,) = summary["outcomes"]
    assert outcome["status"] == "failed"
    assert "actions dependency is down" in outcome["detail"]
    assert summary["ok"] is False
    assert queued(api.runtime) == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [({"consumer": "sweep"}, "consumer"), ({"dryRun": "yes"}, "dryRun"), ({"max": 0}, "max"), ([], "body")],
)
def test_bad_replay_requests_are_400(api, body, field):
    status, answer = api.post("/_local/replay", body)
    assert status == 400
    assert answer["error"]["details"] == {"field": field}


def test_the_cli_replays_through_a_running_leadwire_local(api, capsys):
    fail_fires(api, "fay")
    server = LocalServer(api.runtime, 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        assert cli.main(["replay", "--local", url, "--dry-run"]) == 0
        listing = capsys.readouterr().out
        assert "CONSUMER" in listing
        assert "reactions" in listing
        assert "pending" in listing
        assert "would replay 1" in listing

        assert cli.main(["replay", "--local", url, "--consumer", "reactions"]) == 0
        assert "replayed 1, failed 0, expired 0" in capsys.readouterr().out
        assert queued(api.runtime) == 0
        assert len(welcomes(api)) == 1
    finally:
        server.shutdown()
        server.server_close()
