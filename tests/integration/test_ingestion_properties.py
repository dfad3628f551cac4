"""Property tests of ingestion (Hypothesis) through the real ingestion Lambda, stream pump, engine and
admin API of an in-process ``leadwire local`` (moto), on a simulated clock.

Properties:
1. Every single message, however odd (timestamps, offsets, numbers, ids, nesting, event names),
   is answered 200, or 400 with the field at fault under ``body``: never 500.
2. Every batch is answered 200; each message is either accepted or has one ``rejected`` entry
   naming a field under its own ``batch[i]``: accepted + rejected + in-request duplicates = sent.
3. Whatever is accepted is processed by every stream consumer without a failure (nothing reaches
   the failure queue), and reads back through ``GET /leads/{id}/events`` (the id percent-encoded)
   with its messageId and the instant that was stored.
4. Stored instants (years 1..9999, any offset) are written zero-padded, read back equal to the
   millisecond, and sort as text in time order.
"""

import base64
import itertools
import json
from datetime import UTC, datetime, timedelta, timezone
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import event as label
from hypothesis import strategies as st

from leadwire.core.instants import iso, parse_iso
from leadwire.core.tracking import TrackingMessage
from leadwire.local.runtime import LocalRuntime

from .local_api import NOW, WRITE_KEY

AUTH = [("authorization", "Basic " + base64.b64encode(f"{WRITE_KEY}:".encode()).decode())]


def examples(count: int) -> settings:
    """Each example runs real handlers on moto: no per-example deadline; no example database in
    the work tree (failures print their reproducing example)."""
    return settings(
        max_examples=count,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


_ids = itertools.count()


@pytest.fixture(scope="module")
def runtime():
    rt = LocalRuntime({WRITE_KEY: "website"}, clock_start=NOW)
    yield rt
    rt.close()


# -- strategies -----------------------------------------------------------------------------------
offsets = st.integers(min_value=-(24 * 60 - 1), max_value=24 * 60 - 1).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)
moments = st.datetimes(
    min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59, 59), timezones=offsets
)
near_now = st.datetimes(
    min_value=datetime(2026, 10, 1), max_value=datetime(2026, 11, 2, 9), timezones=st.just(UTC)
).map(lambda m: m.isoformat().replace("+00:00", "Z"))
numbers = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([1e40, -1e40, 1e308, 5e-324, 0.0, -0.0]),
)
instants = st.one_of(
    near_now,
    moments.map(lambda m: m.isoformat()),
    st.sampled_from(
        [
            "0001-01-01T00:00:00Z",
            "0001-01-01T00:00:00+01:00",
            "9999-12-31T23:59:59-01:00",
            "1970-01-01T00:00:00Z",
            "0000-00-00T00:00:00Z",
            "2026-11-02T09:00:00+24:00",
            "2026-11-02T09:00:00+05:30:15",
            "2026-13-01T00:00:00Z",
            "",
            "now",
        ]
    ),
    numbers,
    st.text(max_size=30),
    st.none(),
)
awkward_text = st.one_of(
    st.text(max_size=40),
    st.text(st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF), min_size=1, max_size=3),
    st.sampled_from(
        ["José Ñ", "a/b", "100%", "%2F", "tag#1", "LEAD#x", "EVT#y", " padded ", "名前 ✓", "\x00"]
    ),
    st.integers(min_value=200, max_value=400).map(lambda n: "x" * n),
)
ids = st.one_of(awkward_text, numbers, st.booleans(), st.none())
leaves = st.one_of(st.none(), st.booleans(), numbers, awkward_text)
json_values = st.recursive(
    leaves,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(awkward_text, children, max_size=3),
    max_leaves=12,
)


def nested(depth: int) -> dict:
    value: object = "deep"
    for _ in range(depth):
        value = {"a": value}
    return value  # type: ignore[return-value]


properties = st.one_of(
    st.dictionaries(awkward_text, json_values, max_size=4),
    st.integers(min_value=0, max_value=60).map(nested),
    json_values,
)
messages = st.fixed_dictionaries(
    {"type": st.sampled_from(["track", "identify", "page", "screen", "group", "alias", "bogus"])},
    optional={
        "userId": ids,
        "anonymousId": ids,
        "event": st.one_of(awkward_text, st.integers()),
        "name": awkward_text,
        "messageId": ids,
        "timestamp": instants,
        "originalTimestamp": instants,
        "sentAt": instants,
        "properties": properties,
        "traits": properties,
        "context": properties,
        "groupId": ids,
        "previousId": ids,
    },
)


def post(runtime, path, body):
    raw = json.dumps(body).encode()  # ensure_ascii: lone surrogates travel as \\udXXX escapes
    response = runtime.handle(
        "POST", path, "", [*AUTH, ("content-type", "application/json")], raw, "127.0.0.1"
    )
    return response.status, json.loads(response.body)


def get(runtime, path):
    response = runtime.handle("GET", path, "limit=1000", [], b"", "127.0.0.1")
    return response.status, json.loads(response.body)


def failure_queue_depth(runtime):
    attributes = runtime.sqs.get_queue_attributes(
        QueueUrl=runtime.stream_dlq_url, AttributeNames=["ApproximateNumberOfMessages"]
    )
    return int(attributes["Attributes"]["ApproximateNumberOfMessages"])


# -- properties -----------------------------------------------------------------------------------
@examples(300)
@given(message=messages)
def test_every_message_gets_200_or_a_400_naming_its_field(runtime, message):
    status, body = post(runtime, f"/v1/{message['type'] if message['type'] != 'bogus' else 'track'}", message)
    assert status in (200, 400), body
    if status == 400:
        field = body["error"]["details"]["field"]
        assert isinstance(field, str), body
        assert field.startswith("body"), body


@examples(100)
@given(batch=st.lists(messages, max_size=6), sent_at=st.one_of(st.none(), near_now))
def test_every_batch_message_is_accepted_or_rejected_with_its_own_field(runtime, batch, sent_at):
    body = {"batch": batch, **({"sentAt": sent_at} if sent_at else {})}
    status, reply = post(runtime, "/v1/batch", body)
    assert status == 200, reply
    rejected = reply.get("rejected", [])
    assert all(r["field"].startswith(f"batch[{r['index']}]") for r in rejected), rejected
    assert len({r["index"] for r in rejected}) == len(rejected)
    assert reply["accepted"] + len(rejected) <= len(batch)


# Mostly acceptable input (so that most examples are stored and read back), still with odd ids,
# names, offsets and payloads; property 1 covers the refusals.
plausible_instants = st.one_of(
    st.none(),
    near_now,
    st.datetimes(min_value=datetime(2000, 1, 2), max_value=datetime(2026, 11, 1), timezones=offsets).map(
        lambda m: m.isoformat()
    ),
)
finite_leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
)
plausible_properties = st.one_of(
    st.dictionaries(
        st.text(max_size=10),
        st.recursive(
            finite_leaves,
            lambda children: (
                st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
            ),
            max_leaves=10,
        ),
        max_size=4,
    ),
    st.integers(min_value=0, max_value=30).map(lambda depth: {"p": nested(depth)}),
)


@examples(80)
@given(
    user_id=st.one_of(
        st.text(min_size=1, max_size=60).filter(str.strip),
        st.sampled_from(["José Ñ", "a/b", "100%", "%2F", "tag#1", "LEAD#x", "EVT#y", " padded ", "名前 ✓"]),
        st.integers(min_value=-(10**30), max_value=10**30),
    ),
    event=st.text(min_size=1, max_size=60).filter(str.strip),
    timestamp=plausible_instants,
    sent_at=st.one_of(st.none(), near_now),
    props=plausible_properties,
)
def test_what_is_accepted_is_processed_and_reads_back(runtime, user_id, event, timestamp, sent_at, props):
    message_id = f"prop-{next(_ids)}"
    message = {
        "type": "track",
        "userId": user_id,
        "event": event,
        "messageId": message_id,
        "properties": props,
    }
    message.update({k: v for k, v in (("timestamp", timestamp), ("sentAt", sent_at)) if v is not None})
    status, reply = post(runtime, "/v1/track", message)
    assert status in (200, 400), reply
    label(f"answered {status}")
    if status == 400:
        return
    parsed = TrackingMessage.model_validate(message)  # the ids and name as ingestion trims them
    lead_id = parsed.userId
    before = failure_queue_depth(runtime)
    drained_status, _ = post(runtime, "/_local/drain", {})
    assert drained_status == 200
    assert failure_queue_depth(runtime) == before  # no poison record, no batch given up on
    events_status, page = get(runtime, f"/leads/{quote(lead_id, safe='')}/events")
    lead_status, lead = get(runtime, f"/leads/{quote(lead_id, safe='')}")
    assert (events_status, lead_status) == (200, 200), (page, lead)
    [stored] = [e for e in page["events"] if e["messageId"] == message_id]
    assert stored["event"] == parsed.event
    assert datetime(2000, 1, 1, tzinfo=UTC) <= parse_iso(stored["timestamp"]) <= NOW + timedelta(days=366)
    assert lead["leadId"] == lead_id


@settings(database=None)
@given(first=moments, second=moments)
def test_stored_instants_are_zero_padded_read_back_and_sort_in_time_order(first, second):
    try:
        utc_first, utc_second = first.astimezone(UTC), second.astimezone(UTC)
    except OverflowError:  # no UTC instant (year 1 east of UTC, year 9999 west of it)
        return
    text_first, text_second = iso(utc_first), iso(utc_second)
    assert len(text_first) == len("0001-01-01T00:00:00.000Z")
    assert parse_iso(text_first) == utc_first.replace(microsecond=utc_first.microsecond // 1000 * 1000)
    if utc_first.replace(microsecond=0) < utc_second.replace(microsecond=0):
        assert text_first < text_second
