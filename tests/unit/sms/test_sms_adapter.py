"""The SMS action's adapter (``SendTextMessage`` checked against botocore's model with a Stubber)
and its sendable: the number, the rendered text, the Context that maps events back, the phone
book written before the send."""

from datetime import UTC, datetime

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from leadwire.actions.channels import FireContext, Refused, sms_sendable
from leadwire.actions.sms import EndUserMessagingSender
from leadwire.core.delivery.policy import SmsSettings
from leadwire.core.fires import Fire
from leadwire.core.sms.message import SmsMessage, SmsRejected
from leadwire.core.sms.templates import parse_sms_templates
from leadwire.core.triggers.models import SmsAction

NOW = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)
MESSAGE = SmsMessage(
    to="+14155550100",
    body="Hi Ann",
    context={"leadwire-lead": "ann", "leadwire-trigger": "hot", "leadwire-delivery": "f1-0"},
    origination_identity="+18005550100",
    configuration_set="leadwire",
)
TEMPLATES = parse_sms_templates({"hi": {"text": "Hi {{ traits.first_name }}, reply STOP to opt out"}})


def _client():
    return boto3.client(
        "pinpoint-sms-voice-v2", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )


def test_send_text_message_carries_number_identity_type_configuration_set_and_context():
    client = _client()
    with Stubber(client) as stub:
        stub.add_response(
            "send_text_message",
            {"MessageId": "msg-1"},
            {
                "DestinationPhoneNumber": "+14155550100",
                "OriginationIdentity": "+18005550100",
                "MessageBody": "Hi Ann",
                "MessageType": "PROMOTIONAL",
                "ConfigurationSetName": "leadwire",
                "Context": {"leadwire-lead": "ann", "leadwire-trigger": "hot", "leadwire-delivery": "f1-0"},
            },
        )
        assert EndUserMessagingSender(lambda: client).send(MESSAGE) == "msg-1"
        stub.assert_no_pending_responses()


def test_optional_fields_are_left_out():
    client = _client()
    bare = SmsMessage(to="+14155550100", body="Hi")
    with Stubber(client) as stub:
        expected = {
            "DestinationPhoneNumber": "+14155550100",
            "MessageBody": "Hi",
            "MessageType": "PROMOTIONAL",
            "Context": {},
        }
        stub.add_response("send_text_message", {"MessageId": "msg-2"}, expected)
        assert EndUserMessagingSender(lambda: client).send(bare) == "msg-2"


@pytest.mark.parametrize("code", ["ValidationException", "ConflictException", "ResourceNotFoundException"])
def test_permanent_errors_are_rejections(code):
    client = _client()
    with Stubber(client) as stub:
        stub.add_client_error("send_text_message", service_error_code=code, http_status_code=400)
        with pytest.raises(SmsRejected, match=code):
            EndUserMessagingSender(lambda: client).send(MESSAGE)


def test_throttling_is_raised_for_a_retry():
    client = _client()
    with Stubber(client) as stub:
        stub.add_client_error(
            "send_text_message", service_error_code="ThrottlingException", http_status_code=429
        )
        with pytest.raises(ClientError, match="ThrottlingException"):
            EndUserMessagingSender(lambda: client).send(MESSAGE)


class _Sender:
    def __init__(self, error: Exception | None = None) -> None:
        self.sent: list[SmsMessage] = []
        self.error = error

    def send(self, message: SmsMessage) -> str:
        if self.error:
            raise self.error
        self.sent.append(message)
        return "msg-9"


class _Phones:
    def __init__(self) -> None:
        self.book: dict[str, str] = {}

    def remember(self, phone, lead_id, at):
        self.book[phone] = lead_id

    def lead_for(self, phone):
        return self.book.get(phone)


def _context(traits) -> FireContext:
    fire = Fire(fire_id="f1", trigger_id="hot", lead_id="ann", cause="m1", at=NOW)
    return FireContext(fire, "f1-0", "default", traits, None, {}, NOW)


def test_the_sendable_renders_remembers_the_number_and_sends():
    sender, phones = _Sender(), _Phones()
    settings = SmsSettings(origination_identity="+18005550100")
    context = _context({"phone": "+1 415 555 0100", "first_name": "Ann"})
    sendable = sms_sendable(
        SmsAction(type="sms", template="hi"), context, TEMPLATES, settings, sender, phones
    )
    assert (sendable.channel, sendable.category) == ("sms", "marketing")
    assert sendable.details["to"] == "+14155550100"
    result = sendable.send()
    assert (result.status, result.details) == ("sent", {"smsMessageId": "msg-9"})
    (message,) = sender.sent
    assert message.body == "Hi Ann, reply STOP to opt out"
    assert message.context == {"leadwire-lead": "ann", "leadwire-trigger": "hot", "leadwire-delivery": "f1-0"}
    assert message.origination_identity == "+18005550100"
    assert phones.book == {"+14155550100": "ann"}


@pytest.mark.parametrize(
    ("traits", "status", "reason"),
    [
        ({}, "skipped", "no phone number in trait 'phone'"),
        ({"phone": "415-555-0100"}, "rejected", "not an E.164 phone number"),
        ({"phone": "+14155550100"}, "rejected", "first_name"),  # the template needs a missing trait
    ],
)
def test_the_sendable_refuses_with_a_reason(traits, status, reason):
    with pytest.raises(Refused) as refused:
        sms_sendable(
            SmsAction(type="sms", template="hi"), _context(traits), TEMPLATES, SmsSettings(), _Sender(), None
        )
    assert refused.value.status == status
    assert reason in refused.value.reason


def test_a_rejected_send_is_final_and_a_transient_one_is_retried():
    context = _context({"phone": "+14155550100", "first_name": "Ann"})
    action = SmsAction(type="sms", template="hi")
    rejected = sms_sendable(
        action, context, TEMPLATES, SmsSettings(), _Sender(SmsRejected("opted out")), None
    )
    assert (rejected.send().status, rejected.send().retry_error) == ("rejected", None)
    failing = sms_sendable(action, context, TEMPLATES, SmsSettings(), _Sender(TimeoutError("slow")), None)
    result = failing.send()
    assert result.status == "failed"
    assert result.retry_error is not None
