"""leadwire local: an email through the SES simulator comes back as lead events in the same drain."""

from __future__ import annotations

import pytest

from leadwire import wiring
from leadwire.core.email.message import EmailMessage, message_tags
from leadwire.local.runtime import LocalRuntime
from tests.integration.local_api import NOW, WRITE_KEY, LocalApi

LEAD = "ada@example.com"


def email_to(address: str) -> EmailMessage:
    return EmailMessage(
        to=address,
        from_address="Leadwire <hello@leadwire.example>",
        subject="Welcome",
        text="Hi Ada",
        html="<p>Hi Ada</p>",
        tags=message_tags(LEAD, "welcome", "3f9a2c-0"),
        configuration_set="leadwire-local",
    )


@pytest.fixture
def api():
    runtime = LocalRuntime({WRITE_KEY: "website"}, clock_start=NOW)
    yield LocalApi(runtime)
    runtime.close()


def events_of(api: LocalApi, lead: str) -> list[dict]:
    status, body = api.get(f"/leads/{lead}/events")
    assert status == 200, body
    return body["events"]


def test_a_bounce_simulator_send_suppresses_the_leads_email(api: LocalApi) -> None:
    # Given a lead who gave email consent
    api.send({"type": "identify", "userId": LEAD, "traits": {"subscriptions": {"email": True}}})
    api.drain()
    assert wiring.lead_store().load(LEAD).state.suppressed == []
    # When an email to the SES mailbox simulator's bounce address is sent through SES
    simulator = api.runtime.ses
    assert simulator is not None
    ses_message_id = simulator.send(email_to("bounce@simulator.amazonses.com"))
    drained = api.drain()
    # Then, in that same drain, SES's Send and Bounce went through the feedback Lambda, the
    # bounce is an event on the lead, and the segmentation engine suppressed the email channel
    assert drained["emailEvents"] == 2
    bounced = [e for e in events_of(api, LEAD) if e["event"] == "email_bounced"]
    assert [(e["properties"]["bounce_type"], e["properties"]["ses_message_id"]) for e in bounced] == [
        ("Permanent", ses_message_id)
    ]
    assert wiring.lead_store().load(LEAD).state.suppressed == ["email"]
    # and moto's SES recorded the mail
    assert simulator.sent_message_ids == [ses_message_id]


def test_opens_and_clicks_are_injected_over_http(api: LocalApi) -> None:
    api.send({"type": "identify", "userId": LEAD, "traits": {"subscriptions": {"email": True}}})
    ses_message_id = api.runtime.ses.send(email_to("ada@example.com"))
    api.drain()
    # When the recipient opens the mail and clicks a link in it (POST /_local/email-events)
    assert api.post("/_local/email-events", {"messageId": ses_message_id, "type": "open"})[0] == 200
    status, _ = api.post(
        "/_local/email-events", {"messageId": ses_message_id, "type": "click", "link": "https://x.example/a"}
    )
    assert status == 200
    api.drain()
    # Then the lead has delivered, opened and clicked events, and nothing is suppressed
    names = sorted(e["event"] for e in events_of(api, LEAD) if (e["event"] or "").startswith("email_"))
    assert names == ["email_clicked", "email_delivered", "email_opened"]
    assert wiring.lead_store().load(LEAD).state.suppressed == []
    # and unknown messages or types are refused with the field named
    status, body = api.post("/_local/email-events", {"messageId": "nope", "type": "open"})
    assert (status, body["error"]["code"]) == (404, "not_found")
    status, body = api.post("/_local/email-events", {"messageId": ses_message_id, "type": "forward"})
    assert (status, body["error"]["details"]) == (400, {"field": "type"})
