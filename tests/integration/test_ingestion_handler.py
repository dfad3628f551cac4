"""The ingestion Lambda handler with real-shaped API Gateway events, against moto."""

import base64
import gzip
import json
from pathlib import Path

import pytest

from leadwire.ingestion import handler as ingestion
from leadwire.local.lambda_context import LocalLambdaContext
from leadwire.observability import metrics

from .conftest import WRITE_KEY

SAMPLES = Path(__file__).parents[2] / "events_samples"
CONTEXT = LocalLambdaContext("leadwire-ingestion")


def sample(name):
    return json.loads((SAMPLES / "apigw" / name).read_text())


def invoke(event):
    response = ingestion.lambda_handler(event, CONTEXT)
    return response["statusCode"], json.loads(response["body"]) if response.get("body") else None


def stored_events(runtime):
    items = runtime.dynamodb.scan(TableName="leadwire-local")["Items"]
    return [i for i in items if i["sk"]["S"].startswith("EVT#")]


def with_body(event, body, *, auth=True):
    event = json.loads(json.dumps(event))
    event["body"] = json.dumps(body)
    event["isBase64Encoded"] = False
    event["headers"].pop("content-encoding", None)
    if not auth:
        event["headers"].pop("authorization", None)
    return event


@pytest.mark.parametrize(
    ("name", "count"),
    [
        ("track_json.json", 1),
        ("batch_python.json", None),
        ("batch_gzip.json", None),
        ("beacon_text_plain.json", 1),
    ],
)
def test_real_shaped_requests_are_stored(runtime, name, count):
    event = sample(name)
    status, body = invoke(event)
    assert status == 200
    assert body["success"] is True
    assert "rejected" not in body
    assert len(stored_events(runtime)) == body["accepted"]
    if count is not None:
        assert body["accepted"] == count


def test_gzip_sample_is_really_compressed():
    event = sample("batch_gzip.json")
    assert event["isBase64Encoded"] is True
    assert json.loads(gzip.decompress(base64.b64decode(event["body"])))["batch"]


def test_cors_preflight_is_answered_without_a_write_key(runtime):
    response = ingestion.lambda_handler(sample("preflight_options.json"), CONTEXT)
    assert response["statusCode"] in (200, 204)
    headers = {k.lower(): v for k, v in response["headers"].items()}
    assert headers["access-control-allow-origin"] == "*"
    assert "POST" in headers["access-control-allow-methods"]
    assert "authorization" in headers["access-control-allow-headers"].lower()


def test_cors_preflight_allows_every_header_analytics_js_sends_on_a_retry(runtime):
    # Given the preflight of an analytics.js retry (it adds X-Retry-Count to Authorization)
    event = sample("preflight_options.json")
    event["headers"]["access-control-request-headers"] = "authorization,content-type,x-retry-count"
    # When the ingestion Lambda answers it
    response = ingestion.lambda_handler(event, CONTEXT)
    # Then each requested header is allowed (case-insensitively, as browsers compare them)
    headers = {k.lower(): v for k, v in response["headers"].items()}
    allowed = {h.strip().lower() for h in headers["access-control-allow-headers"].split(",")}
    assert {"authorization", "content-type", "x-retry-count"} <= allowed


def test_the_same_batch_twice_is_stored_once(runtime):
    event = sample("batch_python.json")
    invoke(event)
    first = len(stored_events(runtime))
    invoke(event)
    assert len(stored_events(runtime)) == first


def test_wrong_write_key_is_401_and_stores_nothing(runtime):
    event = sample("track_json.json")
    event["headers"]["authorization"] = "Basic " + base64.b64encode(b"wrong:").decode()
    status, body = invoke(event)
    assert status == 401
    assert body["error"]["code"] == "unauthorized"
    assert stored_events(runtime) == []


def test_write_key_in_the_body_is_accepted(runtime):
    event = with_body(
        sample("track_json.json"), {"userId": "u1", "event": "x", "writeKey": WRITE_KEY}, auth=False
    )
    assert invoke(event)[0] == 200


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [("{not json", 400, "invalid_json"), ('{"userId": "u1"}', 400, "invalid_event")],
)
def test_bad_single_events_are_4xx_with_a_json_error(runtime, body, status, code):
    event = sample("track_json.json")
    event["body"] = body
    got_status, got = invoke(event)
    assert (got_status, got["error"]["code"]) == (status, code)
    assert got["error"]["message"]


def test_oversize_body_is_413(runtime):
    event = with_body(
        sample("track_json.json"), {"userId": "u", "event": "x", "properties": {"b": "x" * 600_000}}
    )
    status, body = invoke(event)
    assert (status, body["error"]["code"]) == (413, "payload_too_large")


def test_storage_failure_answers_503_so_the_client_resends(runtime, monkeypatch):
    store = ingestion.event_store()
    monkeypatch.setattr(store, "_attempts", 1)
    monkeypatch.setattr(
        store._client, "batch_write_item", lambda RequestItems: {"UnprocessedItems": RequestItems}
    )
    status, body = invoke(sample("track_json.json"))
    assert (status, body["error"]["code"]) == (503, "storage_unavailable")


def test_unknown_endpoint_is_a_400_naming_the_path(runtime):
    event = sample("track_json.json")
    event["rawPath"] = event["requestContext"]["http"]["path"] = "/v1/launch"
    status, body = invoke(event)
    assert (status, body["error"]["details"]["field"]) == (400, "path")


def test_rejections_are_counted_in_metrics(runtime, monkeypatch, capsys):
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "false")
    metrics.clear_metrics()  # other tests ran with metrics disabled, which Powertools never clears
    body = json.loads((SAMPLES / "segment" / "invalid" / "batch_mixed_valid_invalid.json").read_text())
    invoke(with_body(sample("batch_python.json"), body))
    emf = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    assert [(m["EventsAccepted"], m["EventsRejected"]) for m in emf] == [([3.0], [2.0])]
