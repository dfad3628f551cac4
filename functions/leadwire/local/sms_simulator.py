"""End User Messaging SMS for ``leadwire local``: records sent texts, reports their delivery and
plays inbound replies.

moto has no ``pinpoint-sms-voice-v2``. ``SimulatedSms`` takes the action's messages (the request
is built exactly as for AWS, ``send_text_request``) and keeps them in ``sent``; each text's
``TEXT_DELIVERED`` event (what the stack's configuration set publishes) waits for ``drain``.
``inbound`` plays a reply from a number. Both are wrapped in the SNS notification End User
Messaging would publish and handed to the SMS feedback Lambda's handler, so the deployed code
path runs.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final

from leadwire.actions.sms import send_text_request
from leadwire.core.errors import InvalidRequest
from leadwire.core.instants import iso
from leadwire.core.sms.message import SmsMessage
from leadwire.core.sms.phones import e164

if TYPE_CHECKING:
    from leadwire.local.local_api import SmsReply

LOCAL_NUMBER: Final = "+18005550100"  # the number the local texts come from
TOPIC_ARN: Final = "arn:aws:sns:us-east-1:123456789012:leadwire-local-sms-inbound"

LambdaHandler = Callable[[dict[str, Any], Any], Any]


class SimulatedSms:
    def __init__(self, clock: Callable[[], datetime], *, handler: LambdaHandler | None = None) -> None:
        self._clock = clock
        self._handler = handler
        self.sent: list[dict[str, Any]] = []
        self._outcomes: list[dict[str, Any]] = []  # delivery events not yet published

    def send(self, message: SmsMessage) -> str:
        message_id = str(uuid.uuid4())
        request = send_text_request(message)
        now = self._clock()
        self.sent.append({"messageId": message_id, "at": iso(now), **request})
        self._outcomes.append(
            {
                "eventType": "TEXT_DELIVERED",
                "eventVersion": "1.0",
                "eventTimestamp": int(now.timestamp() * 1000),
                "isFinal": True,
                "originationPhoneNumber": message.origination_identity or LOCAL_NUMBER,
                "destinationPhoneNumber": message.to,
                "messageId": message_id,
                "messageStatus": "DELIVERED",
                "context": dict(message.context),
            }
        )
        return message_id

    def drain(self) -> int:
        """Publish every pending delivery event (one SNS notification, one invocation, each)."""
        outcomes, self._outcomes = self._outcomes, []
        for outcome in outcomes:
            self._publish(outcome)
        return len(outcomes)

    def inbound(self, reply: SmsReply) -> dict[str, Any]:
        """A reply from a number (``{"from": E164, "body": TEXT}``, parsed by
        ``local/local_api.py``): STOP opts it out."""
        origination = e164(reply.sender)
        if origination is None:
            raise InvalidRequest("from must be an E.164 phone number such as +14155550100", {"field": "from"})
        message = {
            "originationNumber": origination,
            "destinationNumber": LOCAL_NUMBER,
            "messageKeyword": "KEYWORD_123456789012",
            "messageBody": reply.body,
            "inboundMessageId": str(uuid.uuid4()),
            "previousPublishedMessageId": None,
        }
        return self._publish(message)

    def _publish(self, message: dict[str, Any]) -> dict[str, Any]:
        notification = {
            "EventSource": "aws:sns",
            "Sns": {
                "Type": "Notification",
                "MessageId": str(uuid.uuid4()),
                "TopicArn": TOPIC_ARN,
                "Message": json.dumps(message),
                "Timestamp": iso(self._clock()),
            },
        }
        handler = self._handler or _inbound_handler()
        result: dict[str, Any] = handler({"Records": [notification]}, _context())
        return result


def _inbound_handler() -> LambdaHandler:
    from leadwire.feedback.sms_inbound import lambda_handler

    return lambda_handler


def _context() -> Any:
    from leadwire.local.lambda_context import LocalLambdaContext

    return LocalLambdaContext("leadwire-sms-inbound")
