"""The delivery policy: parsing with exact paths, and send / defer / refuse at send time."""

from datetime import UTC, datetime, timedelta

import pytest

from leadwire.core.delivery.decisions import Defer, Recipient, Refuse, Send, SentRecord, decide, quiet_until
from leadwire.core.delivery.policy import DeliveryPolicyError, parse_delivery_policy

POLICY = parse_delivery_policy(
    {
        "email": {"from": "Acme <hello@acme.example>"},
        "frequency_caps": [
            {"channel": "email", "category": "marketing", "max": 1, "per": "PT16H"},
            {"channel": "webhook", "max": 2, "per": "P1D"},
        ],
        "quiet_hours": {"start": "21:00", "end": "08:00", "default_timezone": "Europe/Berlin"},
    }
)
NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)  # 13:00 in Berlin
CONSENTED = Recipient(traits={"email": "a@x.example"}, consent={"email": (True, 1)}, suppressed=[])


def test_an_absent_section_is_the_empty_policy():
    policy = parse_delivery_policy(None)
    assert policy.frequency_caps == []
    assert policy.quiet_hours is None
    assert decide(policy, "email", "marketing", CONSENTED, [], "d1", NOW) == Send()


@pytest.mark.parametrize(
    ("raw", "path"),
    [
        ({"quiet_hours": {"start": "25:00", "end": "08:00"}}, "delivery.quiet_hours.start"),
        ({"quiet_hours": {"start": "08:00", "end": "08:00"}}, "delivery.quiet_hours"),
        ({"quiet_hours": {"start": "21:00", "end": "08:00", "default_timezone": "Mars/Base"}}, None),
        (
            {"frequency_caps": [{"channel": "fax", "max": 1, "per": "P1D"}]},
            "delivery.frequency_caps[0].channel",
        ),
        (
            {"frequency_caps": [{"channel": "email", "max": 0, "per": "P1D"}]},
            "delivery.frequency_caps[0].max",
        ),
        (
            {"frequency_caps": [{"channel": "email", "max": 1, "per": "P1M"}]},
            "delivery.frequency_caps[0].per",
        ),
        ({"email": {"from": "not an address"}}, "delivery.email.from"),
        ({"surprise": 1}, "delivery.surprise"),
    ],
)
def test_a_bad_policy_names_the_field(raw, path):
    with pytest.raises(DeliveryPolicyError) as error:
        parse_delivery_policy(raw)
    paths = [problem["path"] for problem in error.value.problems]
    if path is None:
        assert paths[0].startswith("delivery.quiet_hours.default_timezone")
        assert "IANA" in error.value.problems[0]["message"]
    else:
        assert path in paths, paths


def test_suppression_comes_first_and_applies_to_transactional_email_too():
    suppressed = Recipient(traits={}, consent={"email": (True, 1)}, suppressed=["email"])
    for category in ("marketing", "transactional"):
        decision = decide(POLICY, "email", category, suppressed, [], "d1", NOW)
        assert isinstance(decision, Refuse)
        assert decision.status == "suppressed"


def test_marketing_email_needs_consent_and_transactional_does_not():
    never_asked = Recipient(traits={}, consent={}, suppressed=[])
    withdrawn = Recipient(traits={}, consent={"email": (False, 5)}, suppressed=[])
    for recipient in (never_asked, withdrawn):
        refused = decide(POLICY, "email", "marketing", recipient, [], "d1", NOW)
        assert isinstance(refused, Refuse)
        assert refused.status == "no_consent"
        assert decide(POLICY, "email", "transactional", recipient, [], "d1", NOW) == Send()


def test_quiet_hours_defer_to_the_end_of_the_window_in_the_leads_time_zone():
    late_in_tokyo = datetime(2026, 11, 24, 13, 30, tzinfo=UTC)  # 22:30 in Tokyo
    tokyo = Recipient(traits={"timezone": "Asia/Tokyo"}, consent={"email": (True, 1)}, suppressed=[])
    decision = decide(POLICY, "email", "marketing", tokyo, [], "d1", late_in_tokyo)
    assert decision == Defer(datetime(2026, 11, 24, 23, 0, tzinfo=UTC), decision.reason)  # 08:00 JST
    assert "21:00-08:00" in decision.reason
    early_in_tokyo = datetime(2026, 11, 24, 20, 0, tzinfo=UTC)  # 05:00 the next morning
    assert decide(POLICY, "email", "marketing", tokyo, [], "d1", early_in_tokyo) == Defer(
        datetime(2026, 11, 24, 23, 0, tzinfo=UTC), decision.reason
    )


def test_quiet_hours_use_the_default_zone_for_a_missing_or_bad_trait_and_skip_other_categories():
    at_night_in_berlin = datetime(2026, 11, 24, 22, 0, tzinfo=UTC)  # 23:00 CET
    for traits in ({}, {"timezone": "Nowhere/Land"}):
        recipient = Recipient(traits=traits, consent={"email": (True, 1)}, suppressed=[])
        decision = decide(POLICY, "email", "marketing", recipient, [], "d1", at_night_in_berlin)
        assert decision == Defer(datetime(2026, 11, 25, 7, 0, tzinfo=UTC), decision.reason)
    assert decide(POLICY, "email", "transactional", CONSENTED, [], "d1", at_night_in_berlin) == Send()
    assert decide(POLICY, "webhook", None, CONSENTED, [], "d1", at_night_in_berlin) == Send()


def test_quiet_hours_end_at_the_first_valid_minute_across_a_dst_gap():
    policy = parse_delivery_policy(
        {"quiet_hours": {"start": "23:00", "end": "02:30", "default_timezone": "Europe/Berlin"}}
    )
    night = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)  # 01:30 CET; clocks jump 02:00 -> 03:00
    assert quiet_until(policy.quiet_hours, {}, night) == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)  # 03:00 CEST


def test_a_window_within_one_day():
    policy = parse_delivery_policy(
        {"quiet_hours": {"start": "12:00", "end": "14:00", "channels": ["webhook"]}}
    )
    assert quiet_until(policy.quiet_hours, {}, NOW) == datetime(2026, 11, 24, 14, 0, tzinfo=UTC)
    assert quiet_until(policy.quiet_hours, {}, NOW + timedelta(hours=2)) is None


def test_frequency_caps_count_sends_inside_the_window_of_the_matching_channel_and_category():
    earlier = [SentRecord("d0", "email", "marketing", NOW - timedelta(hours=15))]
    decision = decide(POLICY, "email", "marketing", CONSENTED, earlier, "d1", NOW)
    assert isinstance(decision, Refuse)
    assert decision.status == "capped"
    assert decision.reason == "at most 1 marketing email per 16 hours"
    assert decision.details["nextAllowedAt"] == (NOW + timedelta(hours=1)).isoformat()
    old = [SentRecord("d0", "email", "marketing", NOW - timedelta(hours=17))]
    assert decide(POLICY, "email", "marketing", CONSENTED, old, "d1", NOW) == Send()
    transactional = [SentRecord("d0", "email", "transactional", NOW - timedelta(hours=1))]
    assert decide(POLICY, "email", "marketing", CONSENTED, transactional, "d1", NOW) == Send()


def test_a_cap_without_category_counts_every_send_of_its_channel_and_a_retry_does_not_count_itself():
    two = [
        SentRecord("w1", "webhook", None, NOW - timedelta(hours=2)),
        SentRecord("w2", "webhook", None, NOW),
    ]
    assert isinstance(decide(POLICY, "webhook", None, CONSENTED, two, "w3", NOW), Refuse)
    assert decide(POLICY, "webhook", None, CONSENTED, two, "w2", NOW) == Send()
