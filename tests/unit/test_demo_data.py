"""The bundled demo traffic: deterministic, well-formed Segment messages that tell the persona stories."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from leadwire.local.demo.data import (
    DEFAULT_OUTPUT,
    DEMO_START,
    ONE_TIME_VISITORS,
    cast,
    generate_demo_events,
    one_time_visitors,
    write_demo_file,
)

Message = dict[str, Any]

DAYS = 45
END = DEMO_START + timedelta(days=DAYS)
ACTIVITY_TYPES = {"track", "page", "screen"}


@pytest.fixture(scope="module")
def events() -> list[Message]:
    return generate_demo_events(DEMO_START, days=DAYS, seed=7)


def _at(message: Message) -> datetime:
    return datetime.fromisoformat(message["timestamp"])


def _known_ids(events: list[Message]) -> dict[str, str]:
    """anonymousId -> userId, from identify calls carrying both and from alias calls."""
    links: dict[str, str] = {}
    for message in events:
        if message["type"] == "identify" and message.get("userId") and message.get("anonymousId"):
            links[message["anonymousId"]] = message["userId"]
        if message["type"] == "alias":
            links[message["previousId"]] = message["userId"]
    return links


def _by_lead(events: list[Message]) -> dict[str, list[Message]]:
    links = _known_ids(events)
    leads: dict[str, list[Message]] = defaultdict(list)
    for message in events:
        anonymous_id: str = message.get("anonymousId", "")
        lead: str = message.get("userId") or links.get(anonymous_id, anonymous_id)
        leads[lead].append(message)
    return leads


def _tracked(messages: list[Message], event: str) -> list[Message]:
    return [m for m in messages if m["type"] == "track" and m.get("event") == event]


def test_same_seed_gives_the_same_messages() -> None:
    # Given / When: two runs with the same arguments
    first = generate_demo_events(DEMO_START, days=DAYS, seed=7)
    second = generate_demo_events(DEMO_START, days=DAYS, seed=7)

    # Then
    assert first == second


def test_another_seed_gives_other_messages(events: list[Message]) -> None:
    other = generate_demo_events(DEMO_START, days=DAYS, seed=8)

    assert [m["messageId"] for m in other] != [m["messageId"] for m in events]


def test_volume_is_demo_sized(events: list[Message]) -> None:
    # About forty persona leads and the one-visit readers beside them.
    assert 1_500 <= len(events) <= 3_000
    assert 35 + ONE_TIME_VISITORS <= len(_by_lead(events)) <= 45 + ONE_TIME_VISITORS


def test_every_identified_lead_is_grouped_into_its_company_account(events: list[Message]) -> None:
    identified = {m["userId"] for m in events if m["type"] == "identify"}
    groups = [m for m in events if m["type"] == "group"]

    assert {m["userId"] for m in groups} == identified
    for group in groups:
        domain = group["traits"]["website"].removeprefix("https://www.")
        assert group["groupId"] == domain.split(".")[0]
        assert set(group["traits"]) == {"name", "industry", "employees", "website"}


def test_some_leads_touch_three_channels(events: list[Message]) -> None:
    channels: dict[str, set[str]] = defaultdict(set)
    for message in _tracked(events, "touch"):
        channels[message["userId"]].add(message["properties"]["channel"])

    assert sum(1 for seen in channels.values() if len(seen) >= 3) >= 2


def test_the_one_time_visitors_come_once_and_stay_anonymous(events: list[Message]) -> None:
    visitors = {v.anonymous_id for v in one_time_visitors(len(cast()))}
    by_visitor: dict[str, list[Message]] = defaultdict(list)
    for message in events:
        if message.get("anonymousId") in visitors:
            by_visitor[message["anonymousId"]].append(message)

    assert len(by_visitor) == ONE_TIME_VISITORS
    for messages in by_visitor.values():
        moments = [_at(m) for m in messages]
        assert all(m["type"] == "page" and "userId" not in m for m in messages)
        assert max(moments) - min(moments) < timedelta(minutes=30)  # one visit


def test_message_ids_are_unique(events: list[Message]) -> None:
    ids = [m["messageId"] for m in events]

    assert len(set(ids)) == len(ids)


def test_every_message_names_a_lead(events: list[Message]) -> None:
    assert all(m.get("userId") or m.get("anonymousId") for m in events)


def test_timestamps_are_utc_iso8601_with_z(events: list[Message]) -> None:
    assert all(m["timestamp"].endswith("Z") and _at(m).utcoffset() == timedelta(0) for m in events)


def test_timestamps_fall_inside_the_period(events: list[Message]) -> None:
    assert all(DEMO_START <= _at(m) < END for m in events)


def test_messages_are_sorted_by_timestamp(events: list[Message]) -> None:
    moments = [_at(m) for m in events]

    assert moments == sorted(moments)


def test_page_calls_carry_the_page_in_context(events: list[Message]) -> None:
    pages = [m for m in events if m["type"] == "page"]

    assert pages
    assert all(m["context"]["page"]["path"] == m["properties"]["path"] for m in pages)


def test_a_shorter_period_keeps_every_message_inside_it() -> None:
    # Given a start that is not midnight and the shortest period allowed
    start = datetime(2026, 3, 10, 17, 45, tzinfo=UTC)

    # When
    events = generate_demo_events(start, days=28, seed=3)

    # Then
    assert all(start <= _at(m) < start + timedelta(days=28) for m in events)


def test_there_is_a_stalled_trial(events: list[Message]) -> None:
    # A lead who signed up, never called the API, and has been inactive for 14 days or more.
    stalled = [
        lead
        for lead, messages in _by_lead(events).items()
        if _tracked(messages, "trial_signup")
        and not _tracked(messages, "api_call")
        and END - max(_at(m) for m in messages if m["type"] in ACTIVITY_TYPES) >= timedelta(days=14)
    ]

    assert stalled


def test_there_is_an_activated_trial(events: list[Message]) -> None:
    activated = [
        lead
        for lead, messages in _by_lead(events).items()
        if _tracked(messages, "trial_signup") and len(_tracked(messages, "api_call")) >= 20
    ]

    assert activated


def test_there_is_an_abandoned_cart(events: list[Message]) -> None:
    bought = {m["properties"]["cart_id"] for m in _tracked(events, "purchase")}
    added = {m["properties"]["cart_id"] for m in _tracked(events, "cart_added")}

    assert added - bought


def test_a_cart_is_bought_within_minutes(events: list[Message]) -> None:
    added = {m["properties"]["cart_id"]: _at(m) for m in _tracked(events, "cart_added")}
    purchases = _tracked(events, "purchase")

    assert purchases
    assert all(
        timedelta(0) < _at(m) - added[m["properties"]["cart_id"]] <= timedelta(minutes=15) for m in purchases
    )


def test_one_lead_abandons_a_cart_then_buys_another(events: list[Message]) -> None:
    def abandons_then_buys(messages: list[Message]) -> bool:
        bought = {m["properties"]["cart_id"] for m in _tracked(messages, "purchase")}
        added = [m["properties"]["cart_id"] for m in _tracked(messages, "cart_added")]
        return bool(bought) and added[0] not in bought

    assert any(abandons_then_buys(messages) for messages in _by_lead(events).values())


def test_an_anonymous_visitor_is_merged_by_identify(events: list[Message]) -> None:
    # Given identify calls that carry both ids
    merges = [m for m in events if m["type"] == "identify" and m.get("userId") and m.get("anonymousId")]

    # Then at least one of them follows events that knew only the anonymous id
    anonymous_before = [
        merge
        for merge in merges
        if any(
            m.get("anonymousId") == merge["anonymousId"] and "userId" not in m and _at(m) < _at(merge)
            for m in events
        )
    ]
    assert anonymous_before


def test_an_alias_links_an_anonymous_id_to_a_user(events: list[Message]) -> None:
    aliases = [m for m in events if m["type"] == "alias"]

    assert len(aliases) == 1
    assert any(m.get("anonymousId") == aliases[0]["previousId"] for m in events if m["type"] == "page")
    assert any(m.get("userId") == aliases[0]["userId"] for m in _tracked(events, "api_call"))


def test_a_hot_lead_goes_cold(events: list[Message]) -> None:
    # Busy in the first week (a demo request and many API calls), then nothing.
    week_one = DEMO_START + timedelta(days=9)
    cold = [
        lead
        for lead, messages in _by_lead(events).items()
        if _tracked(messages, "demo_requested")
        and len(_tracked(messages, "api_call")) >= 50
        and max(_at(m) for m in messages) < week_one
    ]

    assert cold


def test_email_engagement_names_the_campaign(events: list[Message]) -> None:
    emails = _tracked(events, "email_opened") + _tracked(events, "email_clicked")

    assert emails
    assert all(m["properties"]["campaign"] for m in emails)


def test_identified_leads_carry_marketing_traits(events: list[Message]) -> None:
    traits = [m["traits"] for m in events if m["type"] == "identify"]

    assert {t["company_size"] for t in traits} <= {12, 80, 250, 1200, 5000}
    assert {t["industry"] for t in traits} <= {"Technology", "Finance", "Healthcare", "Retail"}
    assert all(t["email"].split("@")[1].rsplit(".", 2)[-2] == "example" for t in traits)


def test_some_leads_have_leap_day_and_ordinary_birthdays(events: list[Message]) -> None:
    birthdays = {
        m["traits"]["birthday"] for m in events if m["type"] == "identify" and "birthday" in m["traits"]
    }

    assert any(b.endswith("-02-29") for b in birthdays)
    assert any(not b.endswith("-02-29") for b in birthdays)


def test_write_demo_file_writes_one_message_per_line(tmp_path: Path, events: list[Message]) -> None:
    # Given
    target = tmp_path / "demo" / "sessions.jsonl"

    # When
    count = write_demo_file(target)

    # Then
    lines = target.read_text(encoding="utf-8").splitlines()
    assert count == len(lines) == len(events)
    assert [json.loads(line) for line in lines] == events


def test_bundled_demo_file_is_current_and_small(events: list[Message]) -> None:
    # The committed sample must be what the generator produces today; regenerate with
    # `python -m leadwire.local.demo.data` after changing it.
    lines = DEFAULT_OUTPUT.read_text(encoding="utf-8").splitlines()

    assert [json.loads(line) for line in lines] == events
    assert DEFAULT_OUTPUT.stat().st_size < 2_000_000
