"""Erase and export on the local runtime (moto, the real handlers, stream pump and timers):
everything keyed to a lead goes, and nothing brings it back."""

import shutil
from datetime import timedelta

import pytest

from leadwire import schema
from leadwire.local.runtime import DEFAULT_CONFIG, TABLE_NAME, LocalRuntime

from .local_api import NOW, WRITE_KEY, LocalApi, track

CONFIG = """
triggers:
  - id: pricing-ping
    on: {event: pricing_viewed}
    actions:
      - {type: emit_event, event: pricing_pinged}
"""


@pytest.fixture
def api(tmp_path):
    config = tmp_path / "config"
    shutil.copytree(DEFAULT_CONFIG, config)
    (config / "privacy.yaml").write_text(CONFIG)
    runtime = LocalRuntime({WRITE_KEY: "tests"}, config_dir=config, clock_start=NOW + timedelta(minutes=1))
    yield LocalApi(runtime)
    runtime.close()


def items_naming(api, *lead_ids):
    """Every item whose keys or attributes name one of the ids (a scan: tests only)."""
    found = []
    for page in api.runtime.dynamodb.get_paginator("scan").paginate(TableName=TABLE_NAME):
        for item in page["Items"]:
            text = repr(item)
            if any(lead_id in text for lead_id in lead_ids):
                found.append((item[schema.PK]["S"], item[schema.SK]["S"]))
    return found


def known_lead_with_history(api):
    """ann: anonymous browsing merged into a known lead, segments, a fire, an email, a cart timer."""
    api.send(
        {"type": "page", "anonymousId": "anon-ann", "properties": {"path": "/pricing"}},
        {
            "type": "identify",
            "userId": "ann",
            "anonymousId": "anon-ann",
            "traits": {"email": "ann@example.com", "first_name": "Ann", "subscriptions": {"email": True}},
        },
        track("ann", "pricing_viewed"),
        track("ann", "cart_added", properties={"cart_id": "c1"}),
    )
    api.drain()


def test_export_holds_profile_events_history_deliveries_and_timers(api):
    known_lead_with_history(api)
    status, document = api.get("/leads/anon-ann/export")
    assert status == 200, document
    assert document["leadId"] == "ann"
    assert document["ids"] == ["ann", "anon-ann"]
    assert document["profile"]["traits"]["email"] == "ann@example.com"
    assert {e["event"] for e in document["events"]} >= {"page_viewed", "pricing_viewed", "cart_added"}
    assert document["history"]
    segments_in_history = {h["segmentId"] for h in document["history"]}
    assert set(document["segments"]) <= segments_in_history
    assert all(h["enteredAt"] for h in document["history"])
    assert {d["triggerId"] for d in document["deliveries"]} >= {"pricing-ping"}
    assert [t["triggerId"] for t in document["timers"] if t["status"] == "waiting"] == ["cart-abandonment"]
    assert document["state"]["traits"]["email"] == "ann@example.com"


def test_erase_removes_everything_keyed_to_the_lead_and_its_merged_ids(api):
    known_lead_with_history(api)
    assert len(api.runtime.timers.pending) == 1  # cart-abandonment waits for an hour
    status, erased, _ = api.delete("/leads/ann")
    assert status == 200, erased
    assert (erased["leadId"], erased["status"], erased["ids"]) == ("ann", "erased", 2)
    assert erased["erased"]["events"] >= 4
    assert erased["erased"]["timers"] == 1
    assert erased["job"]["status"] == "done"
    assert api.get(f"/jobs/{erased['job']['jobId']}")[1]["status"] == "done"
    assert api.get("/leads/ann")[0] == 404
    assert api.get("/leads/anon-ann")[0] == 404
    assert api.runtime.timers.pending == []  # the waiting timer is stopped
    assert items_naming(api, "ann@example.com", "LEAD#ann", "LEAD#anon-ann", "ann#", "MEM#ann") == []
    # The trigger keeps its counts: the delivery, without the person.
    status, page = api.get(
        "/triggers/pricing-ping/deliveries", "from=2026-11-01T00:00:00Z&to=2026-11-03T00:00:00Z"
    )
    assert status == 200, page
    assert [(d["leadId"], d["status"]) for d in page["deliveries"]] == [("(erased)", "sent")]
    # Time passes: the stopped cart timer never fires.
    api.post("/_local/clock", {"advance": "PT2H"})
    assert api.get("/leads/ann")[0] == 404
    assert items_naming(api, "LEAD#ann") == []


def test_later_events_are_acknowledged_dropped_and_counted_until_unsuppressed(api):
    known_lead_with_history(api)
    api.delete("/leads/ann")
    status, body = api.post(
        "/v1/batch",
        {
            "batch": [
                track("ann", "pricing_viewed"),
                {"type": "page", "anonymousId": "anon-ann", "properties": {}},
            ]
        },
    )
    assert (status, body["success"]) == (200, True)
    api.drain()
    assert api.get("/leads/ann")[0] == 404
    assert items_naming(api, "LEAD#ann", "LEAD#anon-ann") == []
    status, lifted = api.post("/leads/ann/unsuppress", {})
    assert status == 200, lifted
    assert (lifted["unsuppressed"], lifted["droppedEvents"]) == (2, 2)
    assert api.post("/leads/ann/unsuppress", {})[0] == 404
    api.send(track("ann", "pricing_viewed"))
    api.drain()
    assert api.get("/leads/ann")[0] == 200


def test_a_stream_record_in_flight_at_the_erasure_does_not_bring_the_lead_back(api):
    known_lead_with_history(api)
    api.send(track("ann", "pricing_viewed"), track("ann", "cart_added", properties={"cart_id": "c2"}))
    # Not drained: the records are in the stream when the lead is erased.
    assert api.delete("/leads/ann")[0] == 200
    api.drain()
    api.post("/_local/clock", {"advance": "PT2H"})
    assert api.get("/leads/ann")[0] == 404
    assert items_naming(api, "LEAD#ann", "ann#", "MEM#ann") == []
    assert api.runtime.timers.pending == []


def test_unknown_leads_are_404(api):
    assert api.delete("/leads/nobody")[0] == 404
    assert api.get("/leads/nobody/export")[0] == 404
    assert api.post("/leads/nobody/unsuppress", {})[0] == 404


class Outage:
    """Every stream consumer crashes while ``down``: the batches land in the failure queue."""

    def __init__(self, runtime):
        self.down = True
        for consumer in runtime.pump.consumers:
            consumer.handler = self._wrap(consumer.handler)

    def _wrap(self, handler):
        def crashing(event, context):
            if self.down:
                raise RuntimeError("dependency down")
            return handler(event, context)

        return crashing


def test_a_replay_of_batches_failed_before_the_erasure_does_not_bring_the_lead_back(api):
    known_lead_with_history(api)
    outage = Outage(api.runtime)
    api.send(track("ann", "pricing_viewed"), track("ann", "cart_added", properties={"cart_id": "c3"}))
    api.drain()  # retried, bisected, then given up on: into the failure queue
    outage.down = False
    assert api.delete("/leads/ann")[0] == 200
    status, report = api.post("/_local/replay", {"consumer": "all"})
    assert status == 200, report
    assert report["ok"] is True
    assert report["counts"]["replayed"] >= 2  # segmentation and triggers each gave a batch up
    api.post("/_local/clock", {"advance": "PT2H"})
    assert api.get("/leads/ann")[0] == 404
    assert items_naming(api, "LEAD#ann", "ann#", "MEM#ann", "ann@example.com") == []
    assert api.runtime.timers.pending == []


def test_a_timer_that_wakes_before_it_is_stopped_fires_nothing(api):
    from leadwire.core.fires import Fire
    from leadwire.dal.fire_store import fire_to_item

    known_lead_with_history(api)
    api.delete("/leads/ann")
    # The execution was past its Check when the erasure came: its Fire state writes the FIRE item.
    fire = Fire.of("pricing-ping", "ann", "late-timer", NOW)
    api.runtime.dynamodb.put_item(TableName=TABLE_NAME, Item=fire_to_item(fire))
    api.drain()
    _, outbox = api.get("/_local/outbox")
    assert [m for m in outbox["messages"] if m["leadId"] == "ann"] == []
    assert items_naming(api, "LEAD#ann") == []  # the stray FIRE item is gone too


def test_events_naming_an_erased_anonymous_id_are_dropped_whatever_the_user_id(api):
    known_lead_with_history(api)
    api.delete("/leads/ann")
    api.send({"type": "identify", "userId": "someone-else", "anonymousId": "anon-ann", "traits": {"x": 1}})
    api.drain()
    assert api.get("/leads/someone-else")[0] == 404
    assert items_naming(api, "anon-ann") == []


def test_the_openapi_document_lists_the_privacy_routes(api):
    status, document = api.get("/openapi.json")
    assert status == 200
    paths = document["paths"]
    assert set(paths["/leads/{lead_id}/export"]) == {"get"}
    assert {"get", "delete"} <= set(paths["/leads/{lead_id}"])
    assert set(paths["/leads/{lead_id}/unsuppress"]) == {"post"}
    erase = paths["/leads/{lead_id}"]["delete"]["responses"]
    assert set(erase) == {"200", "400", "404"}
    assert erase["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ErasureView"
    }


def test_an_erasure_stopped_part_way_is_finished_by_the_next_delete(api, monkeypatch):
    from leadwire.core.errors import StorageUnavailable
    from leadwire.dal.lead_partition import LeadPartition

    known_lead_with_history(api)
    original = LeadPartition._batch_write

    def throttled_at_the_lead_state(self, requests, kind):
        keys = [r["DeleteRequest"]["Key"] for r in requests if "DeleteRequest" in r]
        if any(k["pk"]["S"] == "LEAD#ann" and k["sk"]["S"] == "STATE" for k in keys):
            raise StorageUnavailable("throttled")
        return original(self, requests, kind)

    monkeypatch.setattr(LeadPartition, "_batch_write", throttled_at_the_lead_state)
    assert api.delete("/leads/ann")[0] == 503
    monkeypatch.setattr(LeadPartition, "_batch_write", original)
    status, erased, _ = api.delete("/leads/ann")
    assert status == 200, erased
    assert erased["ids"] == 2  # the merged id is still known: the lead's state went last
    assert items_naming(api, "LEAD#ann", "LEAD#anon-ann", "ann#", "MEM#ann", "ann@example.com") == []
