"""Erase over HTTP on the real ``leadwire local`` process: the lead is exported, erased, its later
events acknowledged and dropped, and it comes back only after unsuppress."""

from .conftest import WRITE_KEY, run_local

CLOCK = "2026-11-02T09:00:00Z"


def track(local, lead, event, message_id):
    body = {"writeKey": WRITE_KEY, "userId": lead, "event": event, "messageId": message_id}
    status, _, answer = local.request("POST", "/v1/track", body, {"content-type": "application/json"})
    assert (status, answer["success"]) == (200, True)


def test_export_erase_suppress_and_unsuppress_over_http():
    with run_local("--clock", CLOCK) as local:
        track(local, "zoe", "pricing_viewed", "z-1")
        local.drain()
        status, _, document = local.request("GET", "/leads/zoe/export")
        assert status == 200
        assert [e["messageId"] for e in document["events"]] == ["z-1"]
        status, _, erased = local.request("DELETE", "/leads/zoe")
        assert (status, erased["status"], erased["erased"]["events"]) == (200, "erased", 1)
        track(local, "zoe", "pricing_viewed", "z-2")  # acknowledged, dropped
        local.drain()
        assert local.request("GET", "/leads/zoe")[0] == 404
        assert local.events("zoe") == []
        status, _, lifted = local.request("POST", "/leads/zoe/unsuppress")
        assert (status, lifted["droppedEvents"]) == (200, 1)
        track(local, "zoe", "pricing_viewed", "z-3")
        local.drain()
        assert local.request("GET", "/leads/zoe")[0] == 200
        assert [e["messageId"] for e in local.events("zoe")] == ["z-3"]
