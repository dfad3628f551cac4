"""The send log item (``LEAD#<id> / SENDS``) on moto: sends and the line of waiting messages read
back as written, a write against a stale version is refused, and old sends are dropped."""

from datetime import UTC, datetime, timedelta

from leadwire.core.delivery.decisions import SendLine, SentRecord
from leadwire.core.delivery.line import Ticket, Waiting
from leadwire.dal.send_log_store import SendLogStore

from .conftest import TABLE

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def test_the_line_reads_back_as_written_and_a_stale_version_is_refused(dynamodb):
    store = SendLogStore(dynamodb, TABLE)
    assert store.line("ann") == SendLine()
    sent = SentRecord("d-1", "email", "marketing", NOW)
    low = Waiting(Ticket("d-2", 10, NOW, NOW + 3 * DAY), "email", None, NOW + DAY)
    assert store.save("ann", SendLine([sent], [low], 0), DAY, NOW)
    assert store.line("ann") == SendLine([sent], [low], 1)
    assert not store.save("ann", SendLine([sent], [], 0), DAY, NOW)  # another writer was first
    assert store.line("ann").waiting == [low]


def test_sends_older_than_the_longest_cap_are_dropped_on_write(dynamodb):
    store = SendLogStore(dynamodb, TABLE)
    old, fresh = SentRecord("old", "email", None, NOW - 2 * DAY), SentRecord("new", "email", None, NOW)
    assert store.save("ann", SendLine([old, fresh], [], 0), DAY, NOW)
    line = store.line("ann")
    assert ([s.delivery_id for s in line.sends], line.version) == (["new"], 1)
    assert store.recent("ann") == ([fresh], 1)
