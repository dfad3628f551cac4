"""Edge input through the real ingestion Lambda (moto): out-of-range instants, numbers JSON cannot
hold, lone surrogates and deep nesting get a 400 (or a ``rejected`` entry) naming the field, never
a 500, and an event item written before instants were checked (year 1, unpadded) fails no reader."""

import base64
import json

import pytest

from leadwire.core.tracking import StoredEvent
from leadwire.dal.event_store import to_item
from leadwire.ingestion import handler as ingestion
from leadwire.local.apigw import to_http_api_event
from leadwire.local.lambda_context import LocalLambdaContext
from leadwire.local.runtime import LocalRuntime

from .local_api import NOW, WRITE_KEY, LocalApi

AUTH = [("authorization", "Basic " + base64.b64encode(f"{WRITE_KEY}:".encode()).decode())]
CONTEXT = LocalLambdaContext("leadwire-ingestion")


@pytest.fixture(scope="module")
def runtime():
    rt = LocalRuntime({WRITE_KEY: "website"}, clock_start=NOW)
    yield rt
    rt.close()


def post(path, raw: bytes):
    event = to_http_api_event("POST", path, "", [*AUTH, ("content-type", "text/plain")], raw, "127.0.0.1")
    response = ingestion.lambda_handler(event, CONTEXT)
    return response["statusCode"], json.loads(response["body"])


def track(**extra):
    return {"type": "track", "userId": "edge-lead", "event": "pricing_viewed", **extra}


@pytest.mark.parametrize(
    ("message", "field"),
    [
        # Go's zero time, sent by a device whose clock is far ahead: the skew arithmetic overflowed
        (track(timestamp="0001-01-01T00:00:00Z", sentAt="9999-12-31T23:59:59Z"), "body.timestamp"),
        # year 1 at +01:00 has no UTC instant at all
        (track(timestamp="0001-01-01T00:00:00+01:00"), "body.timestamp"),
        # accepted before, stored as "1-01-01T...", and unreadable from then on
        (track(timestamp="0001-01-01T00:00:00Z"), "body.timestamp"),
        (track(originalTimestamp="1970-01-01T00:00:00Z"), "body.originalTimestamp"),
        (track(timestamp="9999-12-31T23:59:59-01:00"), "body.timestamp"),
        (track(timestamp="2031-01-01T00:00:00Z"), "body.timestamp"),
        (track(timestamp=1e40), "body.timestamp"),
    ],
)
def test_an_out_of_range_instant_is_400_naming_the_field(runtime, message, field):
    status, body = post("/v1/track", json.dumps(message).encode())
    assert (status, body["error"]["details"]["field"]) == (400, field)
    assert "outside" in body["error"]["message"] or "valid datetime" in body["error"]["message"]


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        (b'{"type":"track","userId":"u","event":"e","properties":{"x":NaN}}', "body.properties.x"),
        (b'{"type":"track","userId":"u","event":"e","properties":{"x":1e400}}', "body.properties.x"),
        (b'{"type":"track","userId":"u","event":"e","properties":{"x":-Infinity}}', "body.properties.x"),
        (
            b'{"type":"track","userId":"u","event":"e","properties":{"n":' + b"9" * 5000 + b"}}",
            "body.properties.n",
        ),
        (b'{"type":"track","userId":' + b"9" * 5000 + b',"event":"e"}', "body.userId"),
        (b'{"type":"track","userId":"u","event":"\\ud800"}', "body.event"),
        (b'{"type":"track","userId":"u","event":"e","properties":{"\\udfff":1}}', "body.properties"),
        (b'{"type":"track","userId":"u","event":"e","properties":' + b'{"a":' * 40 + b"1" + b"}" * 41, None),
        (b'{"batch":' + b"[" * 100_000 + b"]" * 100_000 + b"}", "body"),
    ],
)
def test_a_value_no_store_can_hold_is_400_naming_the_field(runtime, raw, field):
    status, body = post("/v1/track" if b"batch" not in raw[:10] else "/v1/batch", raw)
    assert status == 400, body
    if field is None:  # deep nesting: the path of the level that is too deep
        assert body["error"]["details"]["field"].startswith("body.properties.a.a.a")
    else:
        assert body["error"]["details"]["field"] == field


def test_in_a_batch_the_bad_instant_is_rejected_and_its_neighbours_kept(runtime):
    batch = {
        "sentAt": "2026-11-02T09:00:00Z",
        "batch": [
            track(messageId="edge-ok-1", timestamp="2026-11-02T08:59:00Z"),
            track(messageId="edge-zero", timestamp="0001-01-01T00:00:00+01:00"),
            {**track(messageId="edge-nan"), "properties": {"x": float("nan")}},
            track(messageId="edge-ok-2", timestamp="2026-11-02T08:59:30Z"),
        ],
    }
    status, body = post("/v1/batch", json.dumps(batch).encode())  # json.dumps writes NaN
    assert status == 200
    assert body["accepted"] == 2
    assert [(r["index"], r["messageId"], r["field"]) for r in body["rejected"]] == [
        (1, "edge-zero", "batch[1].timestamp"),
        (2, "edge-nan", "batch[2].properties.x"),
    ]


def legacy_item(lead_id, message_id, stamp):
    """An event item as ingestion wrote a year-1 timestamp before instants were checked."""
    event = StoredEvent(
        message_id=message_id,
        type="track",
        lead_id=lead_id,
        event="pricing_viewed",
        timestamp=NOW,
        received_at=NOW,
        source="website",
    )
    item = to_item(event)
    item["ts"] = {"S": stamp}
    return item


def test_an_old_year_1_item_fails_neither_the_events_page_nor_the_lead_s_batches(runtime):
    api = LocalApi(runtime)
    # Given a lead with an item stored as "1-01-01T00:00:00.000Z" before this fix, in one stream
    # batch with the lead's good events
    runtime.dynamodb.put_item(
        TableName="leadwire-local", Item=legacy_item("old-odd", "legacy-1", "1-01-01T00:00:00.000Z")
    )
    api.send({"type": "track", "userId": "old-odd", "event": "demo_requested"})
    # When the stream is drained and the lead read
    api.drain()
    status, page = api.get("/leads/old-odd/events")
    lead_status, lead = api.get("/leads/old-odd")
    # Then the events page answers (the old item zero-padded), the good event was segmented...
    assert status == 200, page
    assert [(e["messageId"], e["timestamp"]) for e in page["events"][:1]] == [
        (
            "legacy-1",
            "0001-01-01T00:00:00.000Z",
        )
    ]
    assert (lead_status, lead["score"]) == (200, 30.0)
    # ...and the poison record went to the failure queue once, alone, with its reason
    messages = runtime.sqs.receive_message(QueueUrl=runtime.stream_dlq_url, MaxNumberOfMessages=10)[
        "Messages"
    ]
    poison = [json.loads(m["Body"]) for m in messages]
    poison = [p for p in poison if p["requestContext"]["condition"] == "PoisonRecord"]
    # (each consumer that reads events sends it to its own queue: one queue locally)
    assert sorted(
        (p["requestContext"]["functionArn"].rsplit(":", 1)[1], p["poisonRecord"]["keys"]["sk"]["S"])
        for p in poison
    ) == [
        ("leadwire-reactions", "EVT#legacy-1"),
        ("leadwire-segmentation", "EVT#legacy-1"),
    ]
    assert all("outside the accepted range" in p["poisonRecord"]["reason"] for p in poison)
    assert len(poison) == len(messages)  # no batch was given up on
