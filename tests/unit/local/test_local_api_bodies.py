"""The ``/_local/*`` bodies are parsed into models: a bad one is refused naming its field."""

from datetime import UTC, datetime

import pytest

from leadwire.core.errors import InvalidRequest
from leadwire.local.local_api import ClockMove, EmailEngagement, ReplayRequest, SmsReply, parse


@pytest.mark.parametrize(
    ("model", "body", "field"),
    [
        (ClockMove, b"{", "body"),
        (ClockMove, b"[1]", "body"),
        (ClockMove, b"{}", "body"),  # neither advance nor to
        (ClockMove, b'{"advance": "1d", "to": "2031-01-01T00:00:00Z"}', "body"),
        (ClockMove, b'{"to": "not a date"}', "to"),
        (ClockMove, b'{"advance": "1d", "by": 2}', "by"),
        (EmailEngagement, b'{"type": "open"}', "messageId"),
        (EmailEngagement, b'{"messageId": "m-1", "type": "forward"}', "type"),
        (SmsReply, b'{"from": "+14155550100"}', "body"),
        (ReplayRequest, b'{"dryRun": "yes"}', "dryRun"),
        (ReplayRequest, b'{"max": 0}', "max"),
    ],
)
def test_a_bad_body_names_its_field(model, body, field):
    with pytest.raises(InvalidRequest) as refused:
        parse(model, body)
    assert refused.value.details == {"field": field}


def test_good_bodies_parse_with_their_wire_names():
    assert parse(ClockMove, b'{"to": "2031-06-01T09:00:00"}').to == datetime(2031, 6, 1, 9, tzinfo=UTC)
    assert parse(ClockMove, b'{"advance": "2d"}').advance == "2d"
    assert parse(EmailEngagement, b'{"messageId": "m-1", "type": "click", "link": "https://x.example"}') == (
        EmailEngagement(message_id="m-1", type="click", link="https://x.example")
    )
    assert parse(SmsReply, b'{"from": "+14155550100", "body": "STOP"}').sender == "+14155550100"
    assert parse(ReplayRequest, b"") == ReplayRequest(consumer="all", dry_run=False, max=None)
