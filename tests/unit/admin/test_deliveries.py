"""The delivery log use case over a fake log: merges, order, paging, ranges, statuses."""

from datetime import UTC, date, datetime, timedelta

import pytest

from leadwire.admin.deliveries import DeliveryAdmin
from leadwire.core.errors import InvalidRequest, NotFound
from leadwire.core.leads import LeadRecord
from leadwire.dal.delivery_log import IndexPosition

NOW = datetime(2026, 11, 2, 9, tzinfo=UTC)


def delivery(lead, n, fired_at, status="sent"):
    return {
        "deliveryId": f"d-{lead}-{n}",
        "triggerId": "t",
        "leadId": lead,
        "fireId": f"f-{n}",
        "channel": "email",
        "status": status,
        "at": fired_at,
        "firedAt": fired_at,
    }


class FakeLog:
    def __init__(self, by_lead=None, pages=None):
        self.by_lead = by_lead or {}
        self.pages = list(pages or [])
        self.queries = []

    def lead_deliveries(self, lead_id):
        return list(self.by_lead.get(lead_id, []))

    def trigger_deliveries(self, query, *, limit, after=None):
        self.queries.append((query, limit, after))
        return self.pages.pop(0) if self.pages else ([], None)


def _leads(lead_id):
    if lead_id in ("u1", "anon-1"):
        return LeadRecord.new("u1").model_copy(update={"aliases": ["anon-1"]})
    return None


def admin(log, exists=lambda trigger_id: trigger_id == "t"):
    return DeliveryAdmin(log, _leads, exists, lambda: NOW)


def test_a_leads_deliveries_include_its_aliases_newest_fire_first_in_pages():
    log = FakeLog(
        {
            "u1": [
                delivery("u1", 1, "2026-11-01T10:00:00.000Z"),
                delivery("u1", 2, "2026-11-02T08:00:00.000Z"),
            ],
            "anon-1": [delivery("anon-1", 1, "2026-11-01T12:00:00.000Z")],
        }
    )
    first = admin(log).for_lead("anon-1", limit=2, cursor=None)
    assert [d.deliveryId for d in first.deliveries] == ["d-u1-2", "d-anon-1-1"]
    assert first.cursor
    second = admin(log).for_lead("u1", limit=2, cursor=first.cursor)
    assert ([d.deliveryId for d in second.deliveries], second.cursor) == (["d-u1-1"], None)


def test_an_unknown_lead_without_deliveries_is_404_and_a_known_one_is_empty():
    with pytest.raises(NotFound):
        admin(FakeLog()).for_lead("nobody", limit=10, cursor=None)
    assert admin(FakeLog()).for_lead("u1", limit=10, cursor=None).deliveries == []


def test_trigger_deliveries_default_to_the_last_seven_days_and_every_status():
    log = FakeLog()
    admin(log).for_trigger("t", start=None, end=None, status=None, limit=50, cursor=None)
    ((query, limit, after),) = log.queries
    assert (query.start, query.end, query.statuses, limit, after) == (
        NOW - timedelta(days=7),
        NOW,
        None,
        50,
        None,
    )


def test_trigger_deliveries_pass_the_range_statuses_and_cursor_through():
    position = IndexPosition(date(2026, 11, 1), "2026-11-01T10:00:00.000Z#d", "LEAD#u1", "DLV#d")
    log = FakeLog(pages=[([delivery("u1", 1, "2026-11-01T10:00:00.000Z")], position)])
    page = admin(log).for_trigger(
        "t",
        start="2026-10-30T00:00:00Z",
        end="2026-11-01T23:59:59+01:00",
        status="sent, failed",
        limit=1,
        cursor=None,
    )
    query = log.queries[0][0]
    assert (query.start, query.end) == (
        datetime(2026, 10, 30, tzinfo=UTC),
        datetime(2026, 11, 1, 22, 59, 59, tzinfo=UTC),
    )
    assert query.statuses == {"sent", "failed"}
    admin(log).for_trigger("t", start=None, end=None, status=None, limit=1, cursor=page.cursor)
    assert log.queries[1][2] == position


@pytest.mark.parametrize(
    ("start", "end", "status", "cursor", "field"),
    [
        ("yesterday", None, None, None, "from"),
        (None, "2026-13-01", None, None, "to"),
        ("2026-11-02T00:00:00Z", "2026-11-01T00:00:00Z", None, None, "from"),
        ("2026-01-01T00:00:00Z", None, None, None, "from"),
        (None, None, "sent,shipped", None, "status"),
        (None, None, None, "bm90LWpzb24", "cursor"),
    ],
)
def test_bad_parameters_are_400_naming_them(start, end, status, cursor, field):
    with pytest.raises(InvalidRequest) as refused:
        admin(FakeLog()).for_trigger("t", start=start, end=end, status=status, limit=10, cursor=cursor)
    assert refused.value.details == {"field": field}


def test_an_unknown_trigger_without_deliveries_is_404_but_a_deleted_ones_log_is_readable():
    with pytest.raises(NotFound):
        admin(FakeLog()).for_trigger("nope", start=None, end=None, status=None, limit=10, cursor=None)
    log = FakeLog(pages=[([delivery("u1", 1, "2026-11-01T10:00:00.000Z")], None)])
    page = admin(log).for_trigger("gone", start=None, end=None, status=None, limit=10, cursor=None)
    assert [d.deliveryId for d in page.deliveries] == ["d-u1-1"]
