"""SESv2 ``SendEmail`` for the email action: one ``EmailMessage`` in, the SES message id out.

Errors are sorted by what sending the same message again would do:

- ``EmailRejected`` (never retried): SES refused this message or this sender for good:
  ``MessageRejected`` (content, or an unverified address in the sandbox), ``BadRequestException``
  (an invalid address or tag), ``MailFromDomainNotVerifiedException``, ``AccountSuspendedException``,
  ``SendingPausedException`` (an operator paused sending: resuming is a decision, not a retry),
  ``NotFoundException`` (the configuration set does not exist), any other 4xx SES does not
  document, and parameters botocore refuses before sending.
- ``EmailSendFailed`` (retryable): throttling (``TooManyRequestsException``, 429, ``Throttling``),
  ``LimitExceededException`` (a quota: it resets), 5xx and internal errors, timeouts and
  connection errors: the same request may well succeed later.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from botocore.exceptions import BotoCoreError, ClientError, ParamValidationError

from leadwire.core.email.message import EmailMessage, EmailRejected, EmailSendFailed

CHARSET: Final = "UTF-8"

PERMANENT_CODES: Final = frozenset(
    {
        "MessageRejected",
        "BadRequestException",
        "MailFromDomainNotVerifiedException",
        "AccountSuspendedException",
        "SendingPausedException",
        "NotFoundException",
        "InvalidParameterValue",  # SES v1's word for a bad address (moto answers with it too)
    }
)
TRANSIENT_CODES: Final = frozenset(
    {
        "TooManyRequestsException",
        "LimitExceededException",
        "Throttling",
        "ThrottlingException",
        "RequestTimeout",
        "RequestTimeoutException",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "InternalFailure",
        "InternalServerError",
        "InternalServiceErrorException",
    }
)


def _content(text: str) -> dict[str, str]:
    return {"Data": text, "Charset": CHARSET}


def send_email_request(message: EmailMessage) -> dict[str, Any]:
    """The ``SendEmail`` parameters of one message."""
    simple: dict[str, Any] = {
        "Subject": _content(message.subject),
        "Body": {"Text": _content(message.text), "Html": _content(message.html)},
    }
    if message.headers:
        simple["Headers"] = [{"Name": name, "Value": value} for name, value in message.headers.items()]
    request: dict[str, Any] = {
        "FromEmailAddress": message.from_address,
        "Destination": {"ToAddresses": [message.to]},
        "Content": {"Simple": simple},
    }
    if message.reply_to:
        request["ReplyToAddresses"] = [message.reply_to]
    if message.tags:
        request["EmailTags"] = [{"Name": name, "Value": value} for name, value in message.tags.items()]
    if message.configuration_set:
        request["ConfigurationSetName"] = message.configuration_set
    return request


def classify(error: ClientError) -> EmailRejected | EmailSendFailed:
    """The Leadwire error for an SES error response."""
    details = error.response.get("Error", {})
    code = str(details.get("Code") or "")
    status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
    text = f"SES {code or 'error'}: {details.get('Message') or error}"
    if code in TRANSIENT_CODES or status == 429 or status >= 500:
        return EmailSendFailed(text, code=code or None)
    if code in PERMANENT_CODES or 400 <= status < 500:
        return EmailRejected(text, code=code or None)
    return EmailSendFailed(text, code=code or None)  # unknown and without a status: try again


class SesEmailSender:
    """Sends through SESv2. ``client_factory`` builds the ``sesv2`` client on first use, so a
    function that never sends email never creates one."""

    def __init__(self, client_factory: Callable[[], Any]) -> None:
        self._client_factory = client_factory
        self._client: Any = None

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = self._client_factory()
        return self._client

    def send(self, message: EmailMessage) -> str:
        """Send one message; returns SES's MessageId.

        Raises ``EmailRejected`` when SES refused it for good, ``EmailSendFailed`` when it may
        succeed later.
        """
        try:
            response = self.client.send_email(**send_email_request(message))
        except ClientError as exc:
            raise classify(exc) from exc
        except ParamValidationError as exc:  # the same parameters are refused every time
            raise EmailRejected(f"SES request invalid: {exc}", code="ParamValidationError") from exc
        except BotoCoreError as exc:  # timeouts, connection errors: nothing reached SES, or no answer did
            raise EmailSendFailed(f"SES unreachable: {exc}", code=type(exc).__name__) from exc
        return str(response["MessageId"])


__all__ = ["EmailRejected", "EmailSendFailed", "SesEmailSender", "classify", "send_email_request"]
