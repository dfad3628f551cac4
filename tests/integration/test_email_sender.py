"""SesEmailSender on moto's SESv2: what SES receives, and how its refusals are told apart."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from leadwire.actions.email import SesEmailSender, classify
from leadwire.core.email.message import EmailMessage, EmailRejected, EmailSendFailed, message_tags

ACCOUNT = "123456789012"
REGION = "us-east-1"
SENDER = "hello@example.com"


def message(**changes: Any) -> EmailMessage:
    fields: dict[str, Any] = {
        "to": "ana@example.com",
        "from_address": SENDER,
        "subject": "Your cart is still waiting",
        "text": "Hi Ana, your cart c-1 is saved.",
        "html": "<p>Hi Ana, your cart <b>c-1</b> is saved.</p>",
        "tags": message_tags("ana@example.com", "cart-abandonment", "f1-0"),
        "configuration_set": "leadwire",
        "reply_to": "support@example.com",
    }
    return EmailMessage(**{**fields, **changes})


@pytest.fixture
def sesv2(aws: None) -> Any:
    return boto3.client("sesv2", region_name=REGION)


@pytest.fixture
def requests(sesv2: Any) -> list[dict[str, Any]]:
    """Every SendEmail request, as the sender built it (moto keeps only one body part)."""
    seen: list[dict[str, Any]] = []
    sesv2.meta.events.register(
        "provide-client-params.sesv2.SendEmail", lambda params, **_: seen.append(dict(params))
    )
    return seen


def sent_messages() -> list[Any]:
    from moto.ses.models import ses_backends

    return list(ses_backends[ACCOUNT][REGION].sent_messages)


def test_a_message_from_a_verified_sender_reaches_ses_with_both_parts(
    sesv2: Any, requests: list[dict[str, Any]]
) -> None:
    # Given a verified sender
    sesv2.create_email_identity(EmailIdentity=SENDER)
    # When a message is sent
    message_id = SesEmailSender(lambda: sesv2).send(message())
    # Then SES accepted it under the id returned
    [sent] = sent_messages()
    assert sent.id == message_id
    assert sent.source == SENDER
    assert sent.destinations == {"ToAddresses": ["ana@example.com"]}
    assert sent.subject == "Your cart is still waiting"
    assert sent.body == "<p>Hi Ana, your cart <b>c-1</b> is saved.</p>"
    # and the request carried both parts in UTF-8, the reply-to, the tags and the configuration set
    [request] = requests
    assert request["Content"]["Simple"]["Body"] == {
        "Text": {"Data": "Hi Ana, your cart c-1 is saved.", "Charset": "UTF-8"},
        "Html": {"Data": "<p>Hi Ana, your cart <b>c-1</b> is saved.</p>", "Charset": "UTF-8"},
    }
    assert request["Content"]["Simple"]["Subject"] == {
        "Data": "Your cart is still waiting",
        "Charset": "UTF-8",
    }
    assert request["ReplyToAddresses"] == ["support@example.com"]
    assert request["ConfigurationSetName"] == "leadwire"
    assert {t["Name"]: t["Value"] for t in request["EmailTags"]} == message().tags
    assert "Headers" not in request["Content"]["Simple"]


def test_optional_fields_are_left_out_and_headers_go_as_given(
    sesv2: Any, requests: list[dict[str, Any]]
) -> None:
    sesv2.create_email_identity(EmailIdentity=SENDER)
    unsubscribe = "<https://app.example.com/u/1>"
    SesEmailSender(lambda: sesv2).send(
        message(reply_to=None, configuration_set=None, tags={}, headers={"List-Unsubscribe": unsubscribe})
    )
    [request] = requests
    assert "ReplyToAddresses" not in request
    assert "ConfigurationSetName" not in request
    assert "EmailTags" not in request
    assert request["Content"]["Simple"]["Headers"] == [{"Name": "List-Unsubscribe", "Value": unsubscribe}]


def test_an_unverified_sender_is_rejected_for_good(sesv2: Any) -> None:
    # Given no verified identity
    # When a message is sent, Then SES refuses it and the sender says it must not be retried
    with pytest.raises(EmailRejected) as refused:
        SesEmailSender(lambda: sesv2).send(message())
    assert refused.value.code == "MessageRejected"
    assert refused.value.retryable is False
    assert sent_messages() == []


def test_the_client_is_built_on_first_send_only(sesv2: Any) -> None:
    built: list[Any] = []

    def factory() -> Any:
        built.append(sesv2)
        return sesv2

    sender = SesEmailSender(factory)
    assert built == []
    sesv2.create_email_identity(EmailIdentity=SENDER)
    sender.send(message())
    sender.send(message())
    assert len(built) == 1


def _client_error(code: str, status: int) -> ClientError:
    response: Any = {"Error": {"Code": code, "Message": "no"}, "ResponseMetadata": {"HTTPStatusCode": status}}
    return ClientError(response, "SendEmail")


@pytest.mark.parametrize(
    ("code", "status", "expected"),
    [
        ("MessageRejected", 400, EmailRejected),
        ("BadRequestException", 400, EmailRejected),
        ("MailFromDomainNotVerifiedException", 400, EmailRejected),
        ("AccountSuspendedException", 400, EmailRejected),
        ("SendingPausedException", 400, EmailRejected),
        ("NotFoundException", 404, EmailRejected),
        ("SomethingNew", 400, EmailRejected),
        ("TooManyRequestsException", 429, EmailSendFailed),
        ("LimitExceededException", 400, EmailSendFailed),
        ("ThrottlingException", 400, EmailSendFailed),
        ("InternalFailure", 500, EmailSendFailed),
        ("ServiceUnavailable", 503, EmailSendFailed),
        ("", 502, EmailSendFailed),
    ],
)
def test_ses_errors_are_sorted_into_final_and_retryable(
    code: str, status: int, expected: type[Exception]
) -> None:
    error = classify(_client_error(code, status))
    assert type(error) is expected
    assert error.retryable is (expected is EmailSendFailed)


class _Failing:
    def __init__(self, error: Exception) -> None:
        self.error = error

    def send_email(self, **_: Any) -> Any:
        raise self.error


def test_a_throttled_send_raises_a_retryable_failure() -> None:
    sender = SesEmailSender(lambda: _Failing(_client_error("TooManyRequestsException", 429)))
    with pytest.raises(EmailSendFailed) as failed:
        sender.send(message())
    assert failed.value.retryable is True
    assert failed.value.code == "TooManyRequestsException"


def test_an_unreachable_ses_is_a_retryable_failure() -> None:
    sender = SesEmailSender(lambda: _Failing(EndpointConnectionError(endpoint_url="https://email.example")))
    with pytest.raises(EmailSendFailed, match="SES unreachable"):
        sender.send(message())
