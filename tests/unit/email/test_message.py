"""SES message tags: the lead id round-trips through the tag alphabet; the others fit it."""

from __future__ import annotations

import re

import pytest

from leadwire.core.email import feedback
from leadwire.core.email.message import (
    EmailMessage,
    EmailRejected,
    EmailSendFailed,
    lead_from_tag,
    lead_tag,
    message_tags,
)

TAG_VALUE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


@pytest.mark.parametrize(
    "lead_id",
    [
        "ana@example.com",
        "usr_1001",
        "anon:2f1c-4b7e",
        "José Ñúñez+tag@exämple.com",
        "a",
        "ab",
        "abc",
        "x" * 192,
    ],
)
def test_a_lead_id_round_trips_through_its_tag(lead_id: str) -> None:
    tag = lead_tag(lead_id)
    assert TAG_VALUE.match(tag)
    assert lead_from_tag(tag) == lead_id
    assert feedback.lead_from_tag(tag) == lead_id  # what the feedback parser reads back


def test_a_lead_id_too_long_for_a_tag_is_refused() -> None:
    with pytest.raises(ValueError, match="too long"):
        lead_tag("x" * 193)


@pytest.mark.parametrize("tag", ["a", "not base64!", "YW5h=", "_w"])
def test_a_value_that_is_no_lead_tag_is_refused(tag: str) -> None:
    with pytest.raises(ValueError, match="unpadded urlsafe base64"):
        lead_from_tag(tag)


def test_message_tags_fit_the_ses_alphabet() -> None:
    tags = message_tags("ana@example.com", "stalled.trials:v2", "fire#1/2-0")
    assert tags == {
        "leadwire-lead": lead_tag("ana@example.com"),
        "leadwire-trigger": "stalled_trials_v2",
        "leadwire-delivery": "fire_1_2-0",
    }
    assert all(TAG_VALUE.match(value) for value in tags.values())


def test_a_message_refuses_header_injection() -> None:
    base = {
        "to": "a@example.com",
        "from_address": "b@example.com",
        "text": "t",
        "html": "h",
        "tags": {},
        "configuration_set": None,
    }
    with pytest.raises(ValueError, match="subject"):
        EmailMessage(subject="Hi\r\nBcc: x@example.com", **base)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="one line"):
        EmailMessage(subject="Hi", headers={"List-Unsubscribe": "<u>\r\nBcc: x"}, **base)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="header name"):
        EmailMessage(subject="Hi", headers={"Bad: name": "v"}, **base)  # type: ignore[arg-type]


def test_rejected_is_final_and_send_failed_is_retryable() -> None:
    assert EmailRejected("no", code="MessageRejected").retryable is False
    assert EmailSendFailed("later", code="TooManyRequestsException").retryable is True
    assert EmailRejected("no", code="MessageRejected").code == "MessageRejected"
