"""Email: the SES configuration set, its feedback loop (SNS -> SQS -> Lambda) and the sender's grant."""

from __future__ import annotations

from typing import Any

import pytest

from leadwire_infra.application import ContextError, email_from_from_context
from tests.infrastructure.infra_template import (
    ACTIONS_HANDLER,
    FEEDBACK_HANDLER,
    HANDLERS,
    Resources,
    actions_on,
    as_list,
    dynamodb_statements,
    event_source_mapping,
    function_props,
    of_type,
    role_statements,
)

FEEDBACK_EVENT_TYPES = {
    "send",
    "delivery",
    "open",
    "click",
    "bounce",
    "complaint",
    "reject",
    "renderingFailure",
    "subscription",
}


def _one(resources: Resources, resource_type: str) -> tuple[str, dict[str, Any]]:
    ((logical_id, resource),) = of_type(resources, resource_type).items()
    return logical_id, resource


def _feedback_topic(resources: Resources) -> tuple[str, dict[str, Any]]:
    """The SES feedback topic (the alarm topic is the other one)."""
    ((logical_id, resource),) = (
        (k, v)
        for k, v in of_type(resources, "AWS::SNS::Topic").items()
        if v["Properties"].get("DisplayName") == "Leadwire SES feedback"
    )
    return logical_id, resource


def _arn(logical_id: str) -> dict[str, Any]:
    return {"Fn::GetAtt": [logical_id, "Arn"]}


def test_configuration_set_requires_tls_tracks_reputation_and_suppresses(resources: Resources) -> None:
    # Given the configuration set every email action sends through
    _, config_set = _one(resources, "AWS::SES::ConfigurationSet")
    props = config_set["Properties"]
    # Then TLS is required, reputation metrics are on, and bounces and complaints are suppressed
    assert props["DeliveryOptions"]["TlsPolicy"] == "REQUIRE"
    assert props["ReputationOptions"]["ReputationMetricsEnabled"] is True
    assert sorted(props["SuppressionOptions"]["SuppressedReasons"]) == ["BOUNCE", "COMPLAINT"]


def test_event_destination_publishes_every_feedback_type_to_the_topic(resources: Resources) -> None:
    config_set_id, _ = _one(resources, "AWS::SES::ConfigurationSet")
    topic_id, _ = _feedback_topic(resources)
    _, destination = _one(resources, "AWS::SES::ConfigurationSetEventDestination")
    props = destination["Properties"]
    assert props["ConfigurationSetName"] == {"Ref": config_set_id}
    assert props["EventDestination"]["Enabled"] is True
    assert set(props["EventDestination"]["MatchingEventTypes"]) == FEEDBACK_EVENT_TYPES
    assert props["EventDestination"]["SnsDestination"]["TopicARN"] == {"Ref": topic_id}


def test_topic_is_encrypted_with_a_key_ses_may_use(resources: Resources) -> None:
    topic_id, topic = _feedback_topic(resources)
    key_id = topic["Properties"]["KmsMasterKeyId"]["Fn::GetAtt"][0]
    key_statements = resources[key_id]["Properties"]["KeyPolicy"]["Statement"]
    assert any(s.get("Principal") == {"Service": "ses.amazonaws.com"} for s in key_statements)
    (policy,) = [
        p
        for p in of_type(resources, "AWS::SNS::TopicPolicy").values()
        if {"Ref": topic_id} in p["Properties"]["Topics"]
    ]
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    assert any(
        s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        for s in statements
    )
    assert any(
        s.get("Principal") == {"Service": "ses.amazonaws.com"} and s["Effect"] == "Allow" for s in statements
    )


def _feedback_queue(resources: Resources) -> tuple[str, dict[str, Any]]:
    mapping = event_source_mapping(resources, FEEDBACK_HANDLER)
    queue_id = mapping["EventSourceArn"]["Fn::GetAtt"][0]
    return queue_id, resources[queue_id]


def test_topic_feeds_a_queue_with_its_own_dead_letter_queue(resources: Resources) -> None:
    topic_id, _ = _feedback_topic(resources)
    queue_id, queue = _feedback_queue(resources)
    (subscription,) = (
        v
        for v in of_type(resources, "AWS::SNS::Subscription").values()
        if v["Properties"]["Protocol"] == "sqs"
    )
    assert subscription["Properties"] == {
        "Endpoint": _arn(queue_id),
        "Protocol": "sqs",
        "TopicArn": {"Ref": topic_id},
    }
    redrive = queue["Properties"]["RedrivePolicy"]
    assert redrive["maxReceiveCount"] == 5
    dlq_id = redrive["deadLetterTargetArn"]["Fn::GetAtt"][0]
    assert dlq_id != queue_id
    # and the dead-letter queue alarms on its first message
    alarms = [
        a["Properties"]
        for a in of_type(resources, "AWS::CloudWatch::Alarm").values()
        if a["Properties"]["MetricName"] == "ApproximateNumberOfMessagesVisible"
        and a["Properties"]["Dimensions"][0]["Value"] == {"Fn::GetAtt": [dlq_id, "QueueName"]}
    ]
    assert [(a["Threshold"], a["ComparisonOperator"]) for a in alarms] == [(0, "GreaterThanThreshold")]


def test_feedback_function_reads_the_queue_with_partial_batch_failures(resources: Resources) -> None:
    _, queue = _feedback_queue(resources)
    mapping = event_source_mapping(resources, FEEDBACK_HANDLER)
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["BatchSize"] <= 10
    timeout = function_props(resources, FEEDBACK_HANDLER)["Timeout"]
    assert queue["Properties"]["VisibilityTimeout"] >= 6 * timeout


def test_feedback_function_may_only_write_events_and_update_deliveries(
    resources: Resources, table_id: str
) -> None:
    # Given the feedback function writes lead events (BatchWriteItem) unless their lead was erased
    # (BatchGetItem on the suppression list, UpdateItem to count drops) and confirms deliveries
    statements = dynamodb_statements(resources, FEEDBACK_HANDLER)
    # Then those are its only DynamoDB actions, on the table ARN only
    assert actions_on(statements, _arn(table_id)) == {
        "dynamodb:BatchGetItem",
        "dynamodb:BatchWriteItem",
        "dynamodb:UpdateItem",
    }
    assert all(as_list(s["Resource"]) == [_arn(table_id)] for s in statements)
    assert function_props(resources, FEEDBACK_HANDLER)["Environment"]["Variables"]["TABLE_NAME"] == {
        "Ref": table_id
    }


def test_actions_may_send_only_as_the_sender_through_the_configuration_set(resources: Resources) -> None:
    # Given the default sender (no leadwire:emailFrom context)
    config_set_id, _ = _one(resources, "AWS::SES::ConfigurationSet")
    ses_statements = [
        s
        for s in role_statements(resources, ACTIONS_HANDLER)
        if any(a.startswith("ses:") for a in as_list(s["Action"]))
    ]
    # Then the actions role holds ses:SendEmail on exactly the domain identity and the configuration set
    (statement,) = ses_statements
    assert as_list(statement["Action"]) == ["ses:SendEmail"]
    resources_json = [str(r) for r in as_list(statement["Resource"])]
    assert len(resources_json) == 2
    assert any(":identity/leadwire.example" in r for r in resources_json)
    assert any(":configuration-set/" in r and config_set_id in r for r in resources_json)
    # and knows the sender and the configuration set
    env = function_props(resources, ACTIONS_HANDLER)["Environment"]["Variables"]
    assert env["EMAIL_FROM"] == "Leadwire <hello@leadwire.example>"
    assert env["SES_CONFIGURATION_SET"] == {"Ref": config_set_id}
    # and no other function may send email
    for handler in HANDLERS:
        if handler != ACTIONS_HANDLER:
            statements = role_statements(resources, handler)
            assert not [s for s in statements if any(a.startswith("ses:") for a in as_list(s["Action"]))]


@pytest.mark.parametrize("value", ["Leadwire <hello@leadwire.example>", "ops@mail.example.org"])
def test_email_from_context_accepts_an_address(value: str) -> None:
    assert email_from_from_context(value) == value


@pytest.mark.parametrize("value", ["", "nobody", "a@localhost", "a@b.example, c@d.example", 42])
def test_malformed_email_from_stops_synth(value: Any) -> None:
    with pytest.raises(ContextError, match="leadwire:emailFrom"):
        email_from_from_context(value)
