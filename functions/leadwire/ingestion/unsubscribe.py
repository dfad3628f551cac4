"""One-click unsubscribe (RFC 8058): the link in every marketing email withdraws email consent.

``GET /v1/unsubscribe?token=`` only shows a page with a confirm button: mail scanners and link
previews fetch every URL in a message, and a fetch must not unsubscribe anyone.
``POST /v1/unsubscribe?token=`` (the one-click POST a mail client sends with the body
``List-Unsubscribe=One-Click``, or the page's button) stores an ``email_unsubscribed`` track event
for the token's lead through the same sink as ingestion, so consent is withdrawn by the engine
exactly as for an ``email_unsubscribed`` sent by the customer's own systems. The event's
``messageId`` comes from the lead and delivery, so a repeated click is one event.

The token is the credential (no write key). The secret is fetched only when the route is used:
the ingestion cold start pays nothing for it.
"""

from __future__ import annotations

import base64
import binascii
import html
from collections.abc import Callable
from datetime import datetime
from urllib.parse import parse_qs

from leadwire.core.email.unsubscribe import (
    CHANNEL,
    InvalidToken,
    UnsubscribeRequest,
    read_token,
    unsubscribe_message_id,
)
from leadwire.core.errors import InvalidRequest
from leadwire.core.tracking import FieldError, parse_message
from leadwire.ingestion.service import EventSink

UNSUBSCRIBE_EVENT = "email_unsubscribed"  # consent.WITHDRAWING_EVENTS
UNSUBSCRIBE_SOURCE = "unsubscribe"
ONE_CLICK_FIELD = "List-Unsubscribe"
ONE_CLICK_VALUE = "One-Click"
MAX_FORM_CHARS = 4096  # the one-click body is 26 bytes; nothing longer is worth parsing

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<meta name="robots" content="noindex"><title>{title}</title></head>
<body style="font-family:sans-serif;max-width:32em;margin:3em auto;padding:0 1em">
<h1 style="font-size:1.4em">{title}</h1>
{body}
</body></html>
"""


def is_one_click(body: str, *, is_base64: bool) -> bool:
    """The body RFC 8058 has mail clients POST (``List-Unsubscribe=One-Click``, form-encoded);
    API Gateway hands form bodies over base64-encoded. Anything else is the page's button."""
    text = body[:MAX_FORM_CHARS]
    if is_base64:
        try:
            text = base64.b64decode(text, validate=False).decode("utf-8")
        except (binascii.Error, ValueError):
            return False
    fields = parse_qs(text, keep_blank_values=True)
    return ONE_CLICK_VALUE in fields.get(ONE_CLICK_FIELD, [])


def confirm_page(token: str) -> str:
    """The page a GET answers: one button that POSTs back to the same URL."""
    body = (
        "<p>Stop receiving marketing email from us?</p>\n"
        f'<form method="post" action="?token={html.escape(token)}">'
        '<button type="submit" style="font-size:1em;padding:.5em 1.5em">Unsubscribe</button></form>'
    )
    return _PAGE.format(title="Unsubscribe", body=body)


def done_page() -> str:
    body = "<p>You will not receive marketing email from us any more. You can close this page.</p>"
    return _PAGE.format(title="You are unsubscribed", body=body)


class UnsubscribeService:
    def __init__(self, sink: EventSink, secret: Callable[[], bytes]) -> None:
        """``secret`` is called per request (the resolver behind it caches): lazily, not at import."""
        self._sink = sink
        self._secret = secret

    def check(self, token: str | None) -> UnsubscribeRequest:
        """The request a link's token carries. Raises ``InvalidRequest`` (400) for a bad one."""
        if not token:
            raise InvalidRequest("the unsubscribe link has no token", {"field": "token"})
        try:
            return read_token(self._secret(), token)
        except InvalidToken as exc:
            raise InvalidRequest(f"invalid unsubscribe link: {exc}", {"field": "token"}) from None

    def unsubscribe(self, token: str | None, received_at: datetime) -> UnsubscribeRequest:
        """Stores the lead's ``email_unsubscribed`` event (the same event for every click)."""
        request = self.check(token)
        message = {
            "type": "track",
            "userId": request.lead_id,
            "event": UNSUBSCRIBE_EVENT,
            "messageId": unsubscribe_message_id(request),
            "timestamp": received_at.isoformat(),
            "properties": {"channel": CHANNEL, "delivery_id": request.delivery_id},
        }
        try:
            event = parse_message(
                message, field="token", received_at=received_at, batch_sent_at=None, source=UNSUBSCRIBE_SOURCE
            )
        except FieldError as exc:  # a lead id we signed but cannot store (too long): not the user's fault
            raise InvalidRequest(f"invalid unsubscribe link: {exc.message}", {"field": "token"}) from None
        self._sink.put_events([event])
        return request
