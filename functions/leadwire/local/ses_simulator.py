"""SES's event publishing for ``leadwire local``: what the configuration set would send to SNS.

moto's SESv2 records a sent mail but publishes no events. ``SimulatedSes`` wraps the real sender
(``SesEmailSender`` on moto): it sends through it, then queues the records AWS would publish for
that message: Send, then Delivery, or, for SES mailbox-simulator addresses, the outcome they
simulate:

=======================================  ==========================================
recipient                                records
=======================================  ==========================================
``bounce@simulator.amazonses.com``       Send, Bounce (Permanent / General)
``complaint@simulator.amazonses.com``    Send, Delivery, Complaint (abuse)
``suppressionlist@simulator...``         Send, Bounce (Permanent / Suppressed)
local part ending ``+bounce``            as ``bounce@simulator.amazonses.com``
local part ending ``+complaint``         as ``complaint@simulator.amazonses.com``
anything else                            Send, Delivery
=======================================  ==========================================

Opens and clicks come from recipients: ``engage`` injects one for a sent message. ``drain`` hands
the queued records, each wrapped in an SNS notification inside an SQS message, to the feedback
Lambda's handler, so the deployed code path runs; a record the handler reports as failed is
retried up to ``MAX_RECEIVES`` times, then kept in ``dead_letters`` (the queue's DLQ in AWS).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parseaddr
from typing import Any, Final, Protocol

from leadwire.core.errors import InvalidRequest, NotFound
from leadwire.core.instants import iso

MAX_RECEIVES: Final = 5
BOUNCE_ADDRESS: Final = "bounce@simulator.amazonses.com"
COMPLAINT_ADDRESS: Final = "complaint@simulator.amazonses.com"
SUPPRESSION_ADDRESS: Final = "suppressionlist@simulator.amazonses.com"
TOPIC_ARN: Final = "arn:aws:sns:us-east-1:123456789012:leadwire-local-email-feedback"
QUEUE_ARN: Final = "arn:aws:sqs:us-east-1:123456789012:leadwire-local-email-feedback"
ENGAGEMENTS: Final = ("open", "click")

LambdaHandler = Callable[[dict[str, Any], Any], Any]


@dataclass(slots=True)
class _Queued:
    record: dict[str, Any]
    sent_ms: int  # SQS's SentTimestamp: fixed at publication, the same on every receive
    receives: int = 0


class EmailSender(Protocol):
    def send(self, message: Any) -> str: ...


def _outcome(address: str) -> str:
    """``delivery``, ``bounce``, ``complaint`` or ``suppressed`` for one recipient address."""
    address = parseaddr(address)[1].lower() or address.lower()
    local = address.split("@", 1)[0]
    if address == SUPPRESSION_ADDRESS:
        return "suppressed"
    if address == BOUNCE_ADDRESS or local.endswith("+bounce"):
        return "bounce"
    if address == COMPLAINT_ADDRESS or local.endswith("+complaint"):
        return "complaint"
    return "delivery"


def _recipients(to: Any) -> list[str]:
    if isinstance(to, str):
        return [to]
    if isinstance(to, Sequence):
        return [str(address) for address in to]
    raise TypeError(f"unsupported recipient {to!r}")


class SimulatedSes:
    """An email sender for ``leadwire local`` that also publishes SES's feedback records."""

    def __init__(
        self,
        sender: EmailSender,
        clock: Callable[[], datetime],
        *,
        handler: LambdaHandler | None = None,
        context: Any = None,
        account_id: str = "123456789012",
    ) -> None:
        """``handler`` is the feedback Lambda's handler (imported lazily when not given)."""
        self._sender = sender
        self._clock = clock
        self._handler = handler
        self._context = context
        self._account_id = account_id
        self._queue: list[_Queued] = []
        self._mails: dict[str, dict[str, Any]] = {}  # SES message id -> the record's ``mail`` object
        self.dead_letters: list[dict[str, Any]] = []
        self.published = 0

    # -- sending --------------------------------------------------------------------------
    def send(self, message: Any) -> str:
        """Send through the wrapped sender, then queue what SES would publish for it."""
        ses_message_id = self._sender.send(message)
        now = self._clock()
        recipients = _recipients(message.to)
        mail = self._mail(message, ses_message_id, recipients, now)
        self._mails[ses_message_id] = mail
        at = iso(now)
        self._publish("Send", mail, send={})
        outcomes = {_outcome(address) for address in recipients}
        if "suppressed" in outcomes or "bounce" in outcomes:
            sub_type = "Suppressed" if "suppressed" in outcomes else "General"
            bounced = [a for a in recipients if _outcome(a) in ("bounce", "suppressed")]
            self._publish(
                "Bounce",
                mail,
                bounce={
                    "bounceType": "Permanent",
                    "bounceSubType": sub_type,
                    "bouncedRecipients": [
                        {"emailAddress": a, "action": "failed", "status": "5.1.1"} for a in bounced
                    ],
                    "timestamp": at,
                    "feedbackId": f"local-{uuid.uuid4()}",
                },
            )
            return ses_message_id
        self._publish(
            "Delivery",
            mail,
            delivery={
                "timestamp": at,
                "processingTimeMillis": 0,
                "recipients": recipients,
                "smtpResponse": "250 2.6.0 Message received",
                "reportingMTA": "leadwire-local",
            },
        )
        if "complaint" in outcomes:
            self._publish(
                "Complaint",
                mail,
                complaint={
                    "complainedRecipients": [
                        {"emailAddress": a} for a in recipients if _outcome(a) == "complaint"
                    ],
                    "timestamp": at,
                    "feedbackId": f"local-{uuid.uuid4()}",
                    "complaintFeedbackType": "abuse",
                },
            )
        return ses_message_id

    def _mail(
        self, message: Any, ses_message_id: str, recipients: list[str], now: datetime
    ) -> dict[str, Any]:
        source = str(message.from_address)
        domain = parseaddr(source)[1].rpartition("@")[2]
        tags: dict[str, list[str]] = {name: [value] for name, value in dict(message.tags or {}).items()}
        configuration_set = getattr(message, "configuration_set", None)
        if configuration_set:
            tags["ses:configuration-set"] = [configuration_set]
        tags["ses:from-domain"] = [domain]
        tags["ses:operation"] = ["SendEmail"]
        return {
            "timestamp": iso(now),
            "source": source,
            "sourceArn": f"arn:aws:ses:us-east-1:{self._account_id}:identity/{domain}",
            "sendingAccountId": self._account_id,
            "messageId": ses_message_id,
            "destination": recipients,
            "headersTruncated": False,
            "commonHeaders": {
                "from": [source],
                "to": recipients,
                "messageId": ses_message_id,
                "subject": getattr(message, "subject", None),
            },
            "tags": tags,
        }

    def engage(self, ses_message_id: str, kind: str, link: str | None = None) -> None:
        """Queue the Open or Click the recipient of a sent message would cause."""
        mail = self._mails.get(ses_message_id)
        if mail is None:
            raise NotFound(
                f"no email was sent with SES message id {ses_message_id!r}", {"field": "messageId"}
            )
        at = iso(self._clock())
        detail = {"timestamp": at, "ipAddress": "127.0.0.1", "userAgent": "leadwire-local"}
        if kind == "open":
            self._publish("Open", mail, open=detail)
        elif kind == "click":
            if not link:
                raise InvalidRequest("a click needs the link that was clicked", {"field": "link"})
            self._publish("Click", mail, click={**detail, "link": link, "linkTags": {}})
        else:
            raise InvalidRequest(f"type must be one of {', '.join(ENGAGEMENTS)}", {"field": "type"})

    def _publish(self, event_type: str, mail: Mapping[str, Any], **detail: Any) -> None:
        record = {"eventType": event_type, "mail": dict(mail), **detail}
        self._queue.append(_Queued(record, int(self._clock().timestamp() * 1000)))

    @property
    def pending(self) -> int:
        return len(self._queue)

    @property
    def sent_message_ids(self) -> list[str]:
        return list(self._mails)

    # -- delivery to the feedback Lambda ------------------------------------------------------
    def drain(self) -> int:
        """Hand every queued record to the feedback handler as one SQS batch; returns how many
        records were delivered (failed ones are queued again until ``MAX_RECEIVES``)."""
        if not self._queue:
            return 0
        batch, self._queue = self._queue, []
        handler = self._handler or _feedback_handler()
        records = [self._sqs_record(index, queued) for index, queued in enumerate(batch)]
        response = handler({"Records": records}, self._context or _context())
        failed = {item["itemIdentifier"] for item in (response or {}).get("batchItemFailures", [])}
        for index, queued in enumerate(batch):
            if f"local-feedback-{index}" not in failed:
                continue
            queued.receives += 1
            if queued.receives >= MAX_RECEIVES:
                self.dead_letters.append(queued.record)
            else:
                self._queue.append(queued)
        self.published += len(batch) - len(failed)
        return len(batch)

    def _sqs_record(self, index: int, queued: _Queued) -> dict[str, Any]:
        body = json.dumps(queued.record, separators=(",", ":"))
        notification = {
            "Type": "Notification",
            "MessageId": str(uuid.uuid5(uuid.NAMESPACE_URL, body)),
            "TopicArn": TOPIC_ARN,
            "Message": body,
            "Timestamp": iso(datetime.fromtimestamp(queued.sent_ms / 1000, UTC)),
            "SignatureVersion": "1",
        }
        return {
            "messageId": f"local-feedback-{index}",
            "receiptHandle": f"local-{uuid.uuid4()}",
            "body": json.dumps(notification),
            "attributes": {
                "ApproximateReceiveCount": str(queued.receives + 1),
                "SentTimestamp": str(queued.sent_ms),
                "SenderId": "AIDAIENQZJOLO23YVJ4VO",
                "ApproximateFirstReceiveTimestamp": str(queued.sent_ms),
            },
            "messageAttributes": {},
            "md5OfBody": "",
            "eventSource": "aws:sqs",
            "eventSourceARN": QUEUE_ARN,
            "awsRegion": "us-east-1",
        }


def _feedback_handler() -> LambdaHandler:
    from leadwire.feedback.handler import lambda_handler

    return lambda_handler


def _context() -> Any:
    from leadwire.local.lambda_context import LocalLambdaContext

    return LocalLambdaContext("leadwire-feedback")
