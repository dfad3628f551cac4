"""End User Messaging SMS (``pinpoint-sms-voice-v2`` ``SendTextMessage``) for the SMS action.

Errors are sorted by what sending again would do: ``SmsRejected`` (never retried) for a request
End User Messaging refuses for good (``ValidationException``: a bad or opted-out number,
``ConflictException``, ``AccessDeniedException``, ``ResourceNotFoundException``: no such origination
identity or configuration set, parameters botocore refuses); anything else (throttling, quotas,
5xx, the network) is raised as it is and the fire is retried.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from botocore.exceptions import ClientError, ParamValidationError

from leadwire.core.sms.message import MESSAGE_TYPE, SmsMessage, SmsRejected

SERVICE: Final = "pinpoint-sms-voice-v2"
PERMANENT_CODES: Final = frozenset(
    {"ValidationException", "ConflictException", "AccessDeniedException", "ResourceNotFoundException"}
)


def send_text_request(message: SmsMessage) -> dict[str, Any]:
    """The ``SendTextMessage`` parameters of one message."""
    request: dict[str, Any] = {
        "DestinationPhoneNumber": message.to,
        "MessageBody": message.body,
        "MessageType": MESSAGE_TYPE,
        "Context": dict(message.context),
    }
    if message.origination_identity:
        request["OriginationIdentity"] = message.origination_identity
    if message.configuration_set:
        request["ConfigurationSetName"] = message.configuration_set
    return request


class EndUserMessagingSender:
    """``send`` returns End User Messaging's message id."""

    def __init__(self, client: Callable[[], Any]) -> None:
        self._client = client  # a factory: the client is made on first use

    def send(self, message: SmsMessage) -> str:
        try:
            response = self._client().send_text_message(**send_text_request(message))
        except ParamValidationError as exc:
            raise SmsRejected(str(exc)) from None
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", ""))
            if code in PERMANENT_CODES:
                raise SmsRejected(f"{code}: {exc.response.get('Error', {}).get('Message', '')}") from None
            raise
        return str(response["MessageId"])
