"""Every bad input gets a clear 4xx, keeps valid neighbours, and leaves the server up."""

import base64
import gzip
import json
import uuid

import pytest

from .conftest import WRITE_KEY

AUTH = {"Authorization": "Basic " + base64.b64encode(f"{WRITE_KEY}:".encode()).decode()}
JSON = {**AUTH, "Content-Type": "application/json"}


@pytest.fixture(autouse=True)
def server_stays_up(local):
    yield
    assert local.request("GET", "/health")[0] == 200


def test_malformed_json_is_400(local):
    status, _, body = local.request("POST", "/v1/track", b"{not json", JSON)
    assert (status, body["error"]["code"], body["error"]["details"]["field"]) == (400, "invalid_json", "body")


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Basic " + base64.b64encode(b"nope:").decode()}])
def test_missing_or_wrong_key_is_401(local, headers):
    status, _, body = local.request("POST", "/v1/track", {"userId": "u", "event": "x"}, headers)
    assert (status, body["error"]["code"]) == (401, "unauthorized")


def test_oversize_batch_is_413(local):
    big = {"batch": [{"type": "track", "userId": "u", "event": "x", "properties": {"p": "x" * 20_000}}] * 30}
    status, _, body = local.request("POST", "/v1/batch", big, JSON)
    assert (status, body["error"]["code"]) == (413, "payload_too_large")


def test_gzip_bomb_is_413(local):
    bomb = gzip.compress(b'{"batch": [' + b" " * (50 * 1024 * 1024) + b"]}")
    status, _, body = local.request("POST", "/v1/batch", bomb, {**JSON, "Content-Encoding": "gzip"})
    assert (status, body["error"]["code"]) == (413, "payload_too_large")


def test_invalid_events_are_reported_and_valid_neighbours_kept(local):
    user = f"mixed-{uuid.uuid4().hex[:8]}"
    batch = {
        "batch": [
            {"type": "track", "userId": user, "event": "a", "messageId": f"{user}-0"},
            {"type": "track", "event": "no-ids"},
            {"type": "track", "userId": user, "event": "b", "messageId": f"{user}-2"},
            {"type": "track", "userId": user, "event": {"not": "a string"}},
            {"type": "track", "userId": user, "event": "c", "properties": {"p": "x" * 40_000}},
        ]
    }
    status, _, body = local.request("POST", "/v1/batch", batch, JSON)
    assert (status, body["accepted"]) == (200, 2)
    assert [(r["index"], r["field"]) for r in body["rejected"]] == [
        (1, "batch[1].userId"),
        (3, "batch[3].event"),
        (4, "batch[4]"),
    ]
    assert sorted(e["event"] for e in local.events(user)) == ["a", "b"]


def test_unknown_lead_is_404_with_a_json_error(local):
    status, _, body = local.request("GET", "/leads/nobody-at-all/events")
    assert (status, body["error"]["code"]) == (404, "not_found")


@pytest.mark.parametrize("query", ["limit=0", "limit=abc", "cursor=%%%"])
def test_bad_query_parameters_are_400(local, query):
    status, _, body = local.request("GET", f"/leads/anyone/events?{query}")
    assert status == 400
    assert body["error"]["code"] == "invalid_request"


def test_events_page_with_a_cursor(local):
    user = f"paged-{uuid.uuid4().hex[:8]}"
    batch = {
        "batch": [
            {"type": "track", "userId": user, "event": f"e{i}", "timestamp": f"2026-11-0{i + 1}T00:00:00Z"}
            for i in range(5)
        ]
    }
    local.request("POST", "/v1/batch", batch, JSON)
    _status, _, first = local.request("GET", f"/leads/{user}/events?limit=3")
    _, _, second = local.request("GET", f"/leads/{user}/events?limit=3&cursor={first['cursor']}")
    assert [e["event"] for e in first["events"]] + [e["event"] for e in second["events"]] == [
        "e0",
        "e1",
        "e2",
        "e3",
        "e4",
    ]
    assert second["cursor"] is None
    assert json.dumps(first).count("messageId") == 3
