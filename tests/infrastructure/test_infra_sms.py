"""SMS: the actions function alone may send texts (SendTextMessage, nothing else); the stack's
configuration set and inbound replies publish to an encrypted topic the SMS feedback function reads."""

from __future__ import annotations

import json
from typing import Any

from tests.infrastructure.infra_template import (
    ACTIONS_HANDLER,
    HANDLERS,
    SMS_FEEDBACK_HANDLER,
    Resources,
    actions_on,
    as_list,
    dynamodb_statements,
    function_id,
    function_props,
    of_type,
    role_statements,
)

DELIVERY_EVENTS = {
    "TEXT_DELIVERED",
    "TEXT_BLOCKED",
    "TEXT_CARRIER_UNREACHABLE",
    "TEXT_SPAM",
    "TEXT_TTL_EXPIRED",
}


def _sms_statements(resources: Resources, handler: str) -> list[dict]:
    return [
        s
        for s in role_statements(resources, handler)
        if any(str(a).startswith("sms-voice:") for a in as_list(s["Action"]))
    ]


def _configuration_set(resources: Resources) -> tuple[str, dict[str, Any]]:
    ((logical_id, resource),) = of_type(resources, "AWS::SMSVOICE::ConfigurationSet").items()
    return logical_id, resource


def _topic(resources: Resources) -> tuple[str, dict[str, Any]]:
    ((logical_id, resource),) = (
        (k, v)
        for k, v in of_type(resources, "AWS::SNS::Topic").items()
        if v["Properties"].get("DisplayName") == "Leadwire SMS feedback"
    )
    return logical_id, resource


def test_the_actions_function_texts_through_origination_identities_and_the_stack_set_only(
    resources: Resources,
) -> None:
    # Given the actions function's role
    (statement,) = _sms_statements(resources, ACTIONS_HANDLER)
    # Then it holds SendTextMessage only, on this account and region's phone numbers, sender ids,
    # pools, and the stack's configuration set
    assert statement["Effect"] == "Allow"
    assert as_list(statement["Action"]) == ["sms-voice:SendTextMessage"]
    arns = [json.dumps(r) for r in as_list(statement["Resource"])]
    assert len(arns) == 4
    for kind in ("phone-number/*", "sender-id/*", "pool/*"):
        (arn,) = [a for a in arns if kind in a]
        assert ":sms-voice:" in arn
        assert "AWS::AccountId" in arn
        assert "AWS::Region" in arn
    set_id, _ = _configuration_set(resources)
    (set_arn,) = [a for a in arns if "configuration-set/" in a]
    assert json.dumps({"Ref": set_id}) in set_arn
    assert not any(a == '"*"' for a in arns)


def test_the_actions_function_is_told_the_configuration_set(resources: Resources) -> None:
    set_id, _ = _configuration_set(resources)
    variables = function_props(resources, ACTIONS_HANDLER)["Environment"]["Variables"]
    assert variables["SMS_CONFIGURATION_SET"] == {"Ref": set_id}


def test_no_other_function_may_send_texts(resources: Resources) -> None:
    for handler in HANDLERS:
        if handler != ACTIONS_HANDLER:
            assert _sms_statements(resources, handler) == [], handler


def test_the_configuration_set_publishes_final_delivery_outcomes_to_the_feedback_topic(
    resources: Resources,
) -> None:
    _, config_set = _configuration_set(resources)
    (destination,) = config_set["Properties"]["EventDestinations"]
    topic_id, _ = _topic(resources)
    assert destination["Enabled"] is True
    assert destination["SnsDestination"] == {"TopicArn": {"Ref": topic_id}}
    types = set(destination["MatchingEventTypes"])
    assert types >= DELIVERY_EVENTS
    assert not types & {"TEXT_SENT", "TEXT_QUEUED", "ALL"}  # interim events would only cost invocations


def test_the_feedback_topic_is_encrypted_and_only_end_user_messaging_of_this_account_publishes(
    resources: Resources,
) -> None:
    topic_id, topic = _topic(resources)
    assert "KmsMasterKeyId" in topic["Properties"]
    statements = [
        s
        for policy in of_type(resources, "AWS::SNS::TopicPolicy").values()
        if {"Ref": topic_id} in policy["Properties"]["Topics"]
        for s in policy["Properties"]["PolicyDocument"]["Statement"]
    ]
    (publish,) = [s for s in statements if s["Effect"] == "Allow"]
    assert publish["Principal"] == {"Service": "sms-voice.amazonaws.com"}
    assert publish["Action"] == "sns:Publish"
    assert publish["Condition"] == {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}
    assert any(
        s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        for s in statements
    )
    (key_id,) = [
        k
        for k in of_type(resources, "AWS::KMS::Key")
        if k == topic["Properties"]["KmsMasterKeyId"]["Fn::GetAtt"][0]
    ]
    key_statements = resources[key_id]["Properties"]["KeyPolicy"]["Statement"]
    assert any(s["Principal"] == {"Service": "sms-voice.amazonaws.com"} for s in key_statements)


def test_the_feedback_function_is_subscribed_with_retries_and_a_dead_letter_queue(
    resources: Resources,
) -> None:
    topic_id, _ = _topic(resources)
    function = function_id(resources, SMS_FEEDBACK_HANDLER)
    (subscription,) = [
        s["Properties"]
        for s in of_type(resources, "AWS::SNS::Subscription").values()
        if s["Properties"]["TopicArn"] == {"Ref": topic_id}
    ]
    assert subscription["Protocol"] == "lambda"
    assert subscription["Endpoint"] == {"Fn::GetAtt": [function, "Arn"]}
    dlq = subscription["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0]
    (invoke_config,) = [
        c
        for c in of_type(resources, "AWS::Lambda::EventInvokeConfig").values()
        if c["Properties"]["FunctionName"] == {"Ref": function}
    ]
    assert invoke_config["Properties"]["MaximumRetryAttempts"] == 2
    assert invoke_config["Properties"]["DestinationConfig"]["OnFailure"]["Destination"] == {
        "Fn::GetAtt": [dlq, "Arn"]
    }
    alarms = [
        a["Properties"]
        for a in of_type(resources, "AWS::CloudWatch::Alarm").values()
        if {"Name": "QueueName", "Value": {"Fn::GetAtt": [dlq, "QueueName"]}}
        in a["Properties"].get("Dimensions", [])
    ]
    assert [a["Threshold"] for a in alarms] == [0]


def test_the_feedback_function_reads_numbers_and_writes_events_only(resources: Resources) -> None:
    statements = dynamodb_statements(resources, SMS_FEEDBACK_HANDLER)
    (table_id,) = of_type(resources, "AWS::DynamoDB::Table")
    assert actions_on(statements, {"Fn::GetAtt": [table_id, "Arn"]}) == {
        "dynamodb:GetItem",
        "dynamodb:BatchGetItem",
        "dynamodb:BatchWriteItem",
        "dynamodb:UpdateItem",
    }
    assert all("index" not in json.dumps(s["Resource"]) for s in statements)


def test_the_stack_outputs_the_topic_for_the_two_way_channel(template: Any, resources: Resources) -> None:
    topic_id, _ = _topic(resources)
    assert template.to_json()["Outputs"]["SmsFeedbackTopicArn"]["Value"] == {"Ref": topic_id}
