"""Marketing email carries a working one-click unsubscribe link; transactional email does not."""

from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest

from leadwire.actions.channels import FireContext, email_sendable
from leadwire.core.delivery.policy import EmailSettings
from leadwire.core.email.templates import parse_templates
from leadwire.core.email.unsubscribe import UnsubscribeLinks, read_token
from leadwire.core.fires import Fire
from leadwire.core.triggers.models import EmailAction

NOW = datetime(2026, 11, 2, 12, tzinfo=UTC)
SECRET = b"unsubscribe-secret"
LINKS = UnsubscribeLinks("https://api.example.com/", SECRET)
TEMPLATES = parse_templates(
    {
        "news": {
            "subject": "News",
            "text": "Bye: {{ unsubscribe_url | default('none') }}",
            "html": "<a href=\"{{ unsubscribe_url | default('#') }}\">Unsubscribe</a>",
        }
    }
)
CONTEXT = FireContext(
    fire=Fire(fire_id="f1", trigger_id="news-t", lead_id="ana@example.com", cause="m1", at=NOW),
    delivery_id="f1-0",
    variant="default",
    traits={"email": "ana@example.com"},
    score=10.0,
    event_properties={},
    now=NOW,
)


class Sender:
    def __init__(self):
        self.messages = []

    def send(self, message):
        self.messages.append(message)
        return "ses-1"


def sent_message(channel, links):
    sender = Sender()
    action = EmailAction(type="email", template="news", channel=channel)
    email_sendable(action, CONTEXT, TEMPLATES, EmailSettings(), sender, None, links).send()
    [message] = sender.messages
    return message


def test_marketing_email_has_one_click_headers_and_the_link_in_the_body():
    message = sent_message("marketing", LINKS)
    link = message.headers["List-Unsubscribe"]
    assert link.startswith("<https://api.example.com/v1/unsubscribe?token=v1.")
    assert link.endswith(">")
    assert message.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = link[1:-1]
    assert message.text == f"Bye: {url}"
    assert f'href="{url}"' in message.html
    [token] = parse_qs(urlsplit(url).query)["token"]
    request = read_token(SECRET, token)
    assert (request.lead_id, request.delivery_id) == ("ana@example.com", "f1-0")


@pytest.mark.parametrize(("channel", "links"), [("transactional", LINKS), ("marketing", None)])
def test_no_link_for_transactional_email_or_without_configuration(channel, links):
    message = sent_message(channel, links)
    assert message.headers == {}
    assert message.text == "Bye: none"
