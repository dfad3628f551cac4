"""The delivery log through the admin API (local runtime) and its reader on moto.

Delivery items are written here as ``DeliveryStore`` writes them, with the ``deliveries`` index keys
from ``leadwire.schema`` (the fire's instant), so the tests do not depend on the actions path.
"""

import json
from datetime import UTC, datetime, timedelta

import pytest

from leadwire import schema
from leadwire.core.instants import iso
from leadwire.dal.delivery_log import DeliveryLog, TriggerQuery
from leadwire.local.runtime import TABLE_NAME, LocalRuntime

from .conftest import TABLE
from .local_api import NOW, WRITE_KEY, LocalApi, page

DAY_1 = datetime(2026, 11, 1, 10, tzinfo=UTC)
DAY_2 = datetime(2026, 11, 2, 8, tzinfo=UTC)


def delivery_item(lead, trigger, delivery_id, fired_at, status="sent", channel="email"):
    return {
        schema.PK: {"S": schema.lead_pk(lead)},
        schema.SK: {"S": f"{schema.DELIVERY_PREFIX}{delivery_id}"},
        "deliveryId": {"S": delivery_id},
        "channel": {"S": channel},
        "triggerId": {"S": trigger},
        "leadId": {"S": lead},
        "fireId": {"S": f"fire-{delivery_id}"},
        "status": {"S": status},
        "at": {"S": iso(fired_at + timedelta(seconds=1))},
        "firedAt": {"S": iso(fired_at)},
        "details": {"S": json.dumps({"template": "cart-reminder"})},
        **schema.delivery_index_keys(trigger, fired_at, delivery_id),
    }


def put(client, table, *items):
    for item in items:
        client.put_item(TableName=table, Item=item)


@pytest.fixture
def api():
    runtime = LocalRuntime({WRITE_KEY: "website"}, clock_start=NOW)
    yield LocalApi(runtime)
    runtime.close()


@pytest.fixture
def cart_log(api):
    """cart-abandonment deliveries over two days, one older, and one of another trigger."""
    put(
        api.runtime.dynamodb,
        TABLE_NAME,
        delivery_item("u1", "cart-abandonment", "d1", DAY_1),
        delivery_item("u2", "cart-abandonment", "d2", DAY_1 + timedelta(hours=1), status="failed"),
        delivery_item("u3", "cart-abandonment", "d3", DAY_1 + timedelta(hours=2)),
        delivery_item("u1", "cart-abandonment", "d4", DAY_2, status="failed"),
        delivery_item("u2", "cart-abandonment", "d5", DAY_2 + timedelta(minutes=30)),
        delivery_item("u1", "cart-abandonment", "old", NOW - timedelta(days=12)),
        delivery_item("u1", "birthday", "b1", DAY_2),
    )
    return api


def all_pages(api, path, query):
    found, cursor, pages = [], None, 0
    while True:
        status, body = api.get(path, query + (f"&cursor={cursor}" if cursor else ""))
        assert status == 200, body
        found += [d["deliveryId"] for d in body["deliveries"]]
        pages += 1
        cursor = body["cursor"]
        if cursor is None:
            return found, pages


def test_a_triggers_deliveries_are_newest_first_across_days_in_pages(cart_log):
    # When the last 7 days (the default) are read two at a time
    status, first = cart_log.get("/triggers/cart-abandonment/deliveries", "limit=2")
    found, pages = all_pages(cart_log, "/triggers/cart-abandonment/deliveries", "limit=2")
    # Then both days come newest first, the older one and the other trigger's are left out
    assert status == 200
    assert [d["deliveryId"] for d in first["deliveries"]] == ["d5", "d4"]
    assert first["cursor"]
    assert found == ["d5", "d4", "d3", "d2", "d1"]
    assert pages >= 3
    delivered = first["deliveries"][0]
    assert (delivered["leadId"], delivered["status"], delivered["firedAt"], delivered["template"]) == (
        "u2",
        "sent",
        "2026-11-02T08:30:00.000Z",
        "cart-reminder",
    )


def test_a_triggers_deliveries_are_filtered_by_range_and_status(cart_log):
    path = "/triggers/cart-abandonment/deliveries"
    found, _ = all_pages(cart_log, path, "status=failed&limit=1")
    assert found == ["d4", "d2"]
    found, _ = all_pages(cart_log, path, "from=2026-11-01T10:30:00Z&to=2026-11-02T08:00:00Z")
    assert found == ["d4", "d3", "d2"]
    found, _ = all_pages(
        cart_log, path, "from=2026-10-20T00:00:00Z&to=2026-10-25T00:00:00Z&status=sent,failed"
    )
    assert found == ["old"]


@pytest.mark.parametrize(
    ("path", "query", "status", "field"),
    [
        ("/triggers/cart-abandonment/deliveries", "status=lost", 400, "status"),
        ("/triggers/cart-abandonment/deliveries", "from=last-week", 400, "from"),
        ("/triggers/cart-abandonment/deliveries", "cursor=bm90LWpzb24", 400, "cursor"),
        ("/triggers/no-such-trigger/deliveries", "", 404, None),
        ("/leads/nobody/deliveries", "", 404, None),
    ],
)
def test_bad_requests_are_json_errors(cart_log, path, query, status, field):
    answered, body = cart_log.get(path, query)
    assert answered == status
    if field:
        assert body["error"]["details"] == {"field": field}


@pytest.mark.parametrize("asked", ["anon-1", "u1"])
def test_a_leads_deliveries_include_its_merged_aliases_newest_first_in_pages(api, asked):
    # Given anon-1 merged into u1, each with deliveries on its own partition
    api.send(page("anon-1", "/pricing", anonymous=True))
    api.drain()
    api.send({"type": "identify", "userId": "u1", "anonymousId": "anon-1", "traits": {"plan": "pro"}})
    api.drain()
    put(
        api.runtime.dynamodb,
        TABLE_NAME,
        delivery_item("anon-1", "cart-abandonment", "a1", DAY_1),
        delivery_item("u1", "cart-abandonment", "u1-old", DAY_1 - timedelta(hours=1)),
        delivery_item("u1", "birthday", "u1-new", DAY_2),
    )
    # When either id's deliveries are read one at a time
    found, pages = all_pages(api, f"/leads/{asked}/deliveries", "limit=1")
    # Then they are the known lead's and its alias's, newest fire first
    assert found == ["u1-new", "a1", "u1-old"]
    assert pages == 3


def test_the_reader_examines_a_bounded_number_of_entries_per_call(dynamodb):
    # Given 30 deliveries on one day, of which only the oldest failed
    items = [
        delivery_item(
            "u1", "t", f"d{n:02d}", DAY_1 + timedelta(minutes=n), status="failed" if n == 0 else "sent"
        )
        for n in range(30)
    ]
    put(dynamodb, TABLE, *items)
    log = DeliveryLog(dynamodb, TABLE)
    query = TriggerQuery("t", DAY_1 - timedelta(days=1), DAY_1 + timedelta(days=1), frozenset({"failed"}))
    # When failed ones are asked for with a budget of 10 entries per call
    found, after, calls = [], None, 0
    while True:
        page_items, after = log.trigger_deliveries(query, limit=5, after=after, budget=10)
        found += [d["deliveryId"] for d in page_items]
        calls += 1
        if after is None:
            break
    # Then each call examines at most 10: three to reach d00, one more to find the day ended
    assert found == ["d00"]
    assert calls == 4
