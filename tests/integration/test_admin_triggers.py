"""Triggers through the admin API on the local runtime (moto, DefinitionStore, the live pipeline)."""

import pytest

from leadwire import wiring
from leadwire.local.runtime import LocalRuntime

from .local_api import NOW, WRITE_KEY, LocalApi, track

DEMO_PING = {
    "id": "demo-ping",
    "name": "Demo ping",
    "on": {"event": "demo_requested"},
    "actions": [{"type": "emit_event", "event": "demo_seen"}],
}


@pytest.fixture
def api():
    runtime = LocalRuntime({WRITE_KEY: "website"}, clock_start=NOW)
    yield LocalApi(runtime)
    runtime.close()


def test_a_trigger_goes_through_create_read_replace_delete(api):
    # When it is created
    status, created = api.post("/triggers", DEMO_PING)
    assert (status, created) == (201, {**DEMO_PING, "source": "api", "version": 1})
    # Then it is listed next to the config triggers, each with its source and version
    _, listed = api.get("/triggers")
    sources = {t["id"]: (t["source"], t["version"]) for t in listed["triggers"]}
    assert sources["demo-ping"] == ("api", 1)
    assert sources["cart-abandonment"] == ("config", 0)
    assert api.get("/triggers/demo-ping") == (200, {**DEMO_PING, "source": "api", "version": 1})
    # When it is replaced at the version read
    status, replaced = api.put("/triggers/demo-ping", {**created, "name": "Demo pinged"})
    assert (status, replaced["name"], replaced["version"]) == (200, "Demo pinged", 2)
    # Then a replace from the stale version is a conflict
    status, body = api.put("/triggers/demo-ping", {**created, "name": "Lost update"})
    assert (status, body["error"]["code"]) == (409, "conflict")
    # When it is deleted it is gone
    status, body, _ = api.delete("/triggers/demo-ping")
    assert (status, body) == (204, None)
    assert api.get("/triggers/demo-ping")[0] == 404


def test_a_trigger_created_through_the_api_fires_at_once(api):
    # Given a trigger created through the API (the definitions cache invalidated by it)
    api.post("/triggers", DEMO_PING)
    assert "demo-ping" in [t.id for t in wiring.definitions_source().triggers()]
    # When its event arrives
    api.send(track("u1", "demo_requested"))
    api.drain()
    # Then it emitted its event
    _, outbox = api.get("/_local/outbox")
    sent = [(m["channel"], m["leadId"]) for m in outbox["messages"] if m["triggerId"] == "demo-ping"]
    assert sent == [("event", "u1")]


def test_a_config_trigger_replaced_is_seen_by_the_definitions_source(api):
    _, shown = api.get("/triggers/cart-abandonment")
    changed = {**shown, "wait": {**shown["wait"], "timeout": "PT2H"}}
    status, replaced = api.put("/triggers/cart-abandonment", changed)
    assert (status, replaced["source"], replaced["version"]) == (200, "api", 1)
    (cart,) = [t for t in wiring.definitions_source().triggers() if t.id == "cart-abandonment"]
    assert cart.wait is not None
    assert cart.wait.timeout.total_seconds() == 7200


def test_deleting_a_config_trigger_leaves_a_tombstone_and_it_can_be_created_again(api):
    _, shown = api.get("/triggers/birthday")
    assert api.delete("/triggers/birthday")[0] == 204
    assert "birthday" not in [t.id for t in wiring.definitions_source().triggers()]
    assert "birthday" not in [t["id"] for t in api.get("/triggers")[1]["triggers"]]
    definition = {k: v for k, v in shown.items() if k not in ("source", "version")}
    status, created = api.post("/triggers", definition)
    assert (status, created["source"], created["version"]) == (201, "api", 2)


CART = {"on": {"event": "cart_added"}, "actions": [{"type": "emit_event", "event": "cart_left"}]}


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"on": {"enter": "no-such-segment"}}, "on.enter"),
        (
            {**CART, "wait": {"until": {"event": "purchase", "match": ["cart_id"]}, "timeout": "1h"}},
            "wait.timeout",
        ),
        ({**CART, "actions": [{"type": "emit_event", "event": "cart_added"}]}, "actions[0].event"),
    ],
)
def test_an_invalid_trigger_is_422_with_the_path_inside_it(api, change, path):
    status, body = api.post("/triggers", {**DEMO_PING, "id": "bad", **change})
    assert status == 422
    assert [(p["path"], p["triggerId"]) for p in body["error"]["details"]["problems"]] == [(path, "bad")]


def test_a_segment_used_by_a_trigger_cannot_be_deleted_until_the_trigger_is(api):
    # webinar-registrants: a default segment no other segment reads (trial-users is read by smb-trial-users)
    api.post("/triggers", {**DEMO_PING, "id": "webinar-welcome", "on": {"enter": "webinar-registrants"}})
    status, body, _ = api.delete("/segments/webinar-registrants")
    assert (status, body["error"]["code"]) == (409, "segment_in_use")
    assert body["error"]["details"]["triggers"] == ["webinar-welcome"]
    assert "webinar-welcome" in body["error"]["message"]
    assert api.delete("/triggers/webinar-welcome")[0] == 204
    assert api.delete("/segments/webinar-registrants")[0] == 204


def test_errors_are_json_with_the_right_status(api):
    assert api.get("/triggers/nowhere")[0] == 404
    status, body = api.post("/triggers", DEMO_PING | {"id": "cart-abandonment"})
    assert (status, body["error"]["code"]) == (409, "already_exists")
    status, body = api.put("/triggers/birthday", DEMO_PING)
    assert (status, body["error"]["details"]) == (400, {"field": "id"})
