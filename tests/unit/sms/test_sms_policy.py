"""The delivery policy for SMS: consent ``subscribed: sms``, STOP suppression, quiet hours, caps."""

from datetime import UTC, datetime

import pytest

from leadwire.core.delivery.decisions import Defer, Recipient, Refuse, Send, SentRecord, decide
from leadwire.core.delivery.policy import DeliveryPolicyError, parse_delivery_policy

POLICY = parse_delivery_policy(
    {
        "sms": {"origination_identity": "+18005550100", "configuration_set": "leadwire"},
        "frequency_caps": [{"channel": "sms", "max": 1, "per": "P1D"}],
        "quiet_hours": {"start": "21:00", "end": "08:00"},  # default channels: email and sms
    }
)
NOON = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
NIGHT = datetime(2026, 11, 24, 22, 30, tzinfo=UTC)
CONSENTED = Recipient(traits={"phone": "+14155550100"}, consent={"sms": (True, 1)}, suppressed=[])


def test_sms_settings_default_to_the_phone_trait_and_no_identity():
    policy = parse_delivery_policy(None)
    assert policy.sms.recipient_trait == "phone"
    assert policy.sms.origination_identity is None
    assert POLICY.sms.configuration_set == "leadwire"
    assert POLICY.quiet_hours is not None
    assert "sms" in POLICY.quiet_hours.channels


def test_a_consenting_lead_is_texted():
    assert decide(POLICY, "sms", "marketing", CONSENTED, [], "d1", NOON) == Send()


@pytest.mark.parametrize(
    "consent",
    [{}, {"sms": (False, 2)}, {"email": (True, 1)}],
    ids=["never asked", "withdrew", "email only"],
)
def test_without_sms_consent_nothing_is_sent(consent):
    recipient = Recipient(traits={}, consent=consent, suppressed=[])
    decision = decide(POLICY, "sms", "marketing", recipient, [], "d1", NOON)
    assert isinstance(decision, Refuse)
    assert decision.status == "no_consent"
    assert "SMS" in decision.reason


def test_a_number_that_replied_stop_is_suppressed_even_with_consent():
    recipient = Recipient(traits={}, consent={"sms": (True, 1)}, suppressed=["sms"])
    decision = decide(POLICY, "sms", "marketing", recipient, [], "d1", NOON)
    assert decision == Refuse("suppressed", "the number replied STOP")


def test_email_suppression_does_not_stop_texts():
    recipient = Recipient(traits={}, consent={"sms": (True, 1)}, suppressed=["email"])
    assert decide(POLICY, "sms", "marketing", recipient, [], "d1", NOON) == Send()


def test_quiet_hours_defer_a_text_until_morning():
    decision = decide(POLICY, "sms", "marketing", CONSENTED, [], "d1", NIGHT)
    assert decision == Defer(
        datetime(2026, 11, 25, 8, 0, tzinfo=UTC), "quiet hours 21:00-08:00 in the lead's time zone"
    )


def test_the_sms_cap_counts_texts_only():
    texted = [SentRecord("d0", "sms", "marketing", NOON.replace(hour=9))]
    emailed = [SentRecord("d0", "email", "marketing", NOON.replace(hour=9))]
    capped = decide(POLICY, "sms", "marketing", CONSENTED, texted, "d1", NOON)
    assert isinstance(capped, Refuse)
    assert capped.status == "capped"
    assert decide(POLICY, "sms", "marketing", CONSENTED, emailed, "d1", NOON) == Send()


def test_a_bad_configuration_set_name_names_the_field():
    with pytest.raises(DeliveryPolicyError) as error:
        parse_delivery_policy({"sms": {"configuration_set": "no spaces allowed"}})
    assert [p["path"] for p in error.value.problems] == ["delivery.sms.configuration_set"]
